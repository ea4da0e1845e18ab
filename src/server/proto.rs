//! Code generated from `proto/` at build time.

#![allow(missing_docs, clippy::all, clippy::pedantic)]

pub mod tfplugin6 {
    tonic::include_proto!("tfplugin6");
}

pub mod plugin {
    tonic::include_proto!("plugin");
}

#[cfg(test)]
mod tests {
    //! Pins field numbers of messages Terraform 1.0.3 exchanges (PROTOCOL.md §2). A protobuf
    //! tag byte is `field << 3 | wire type`; 2 is length-delimited, 0 is varint.

    use prost::Message;

    use super::tfplugin6 as pb;

    fn dv(byte: u8) -> Option<pb::DynamicValue> {
        Some(pb::DynamicValue {
            msgpack: vec![byte],
            json: vec![],
        })
    }

    #[test]
    fn validate_provider_config_response_uses_field_two() {
        let response = pb::validate_provider_config::Response {
            diagnostics: vec![pb::Diagnostic {
                severity: 1,
                ..Default::default()
            }],
        };
        assert_eq!(response.encode_to_vec(), vec![0x12, 0x02, 0x08, 0x01]);
    }

    #[test]
    fn diagnostic_fields() {
        use pb::attribute_path::step::Selector;
        let d = pb::Diagnostic {
            severity: pb::diagnostic::Severity::Warning as i32,
            summary: "s".into(),
            detail: "d".into(),
            attribute: Some(pb::AttributePath {
                steps: vec![
                    pb::attribute_path::Step {
                        selector: Some(Selector::AttributeName("a".into())),
                    },
                    pb::attribute_path::Step {
                        selector: Some(Selector::ElementKeyString("k".into())),
                    },
                    pb::attribute_path::Step {
                        selector: Some(Selector::ElementKeyInt(2)),
                    },
                ],
            }),
        };
        let want = vec![
            0x08, 0x02, // severity = WARNING
            0x12, 0x01, b's', // summary
            0x1a, 0x01, b'd', // detail
            0x22, 0x0e, // attribute (field 4)
            0x0a, 0x03, 0x0a, 0x01, b'a', // step: attribute_name = 1
            0x0a, 0x03, 0x12, 0x01, b'k', // step: element_key_string = 2
            0x0a, 0x02, 0x18, 0x02, // step: element_key_int = 3
        ];
        assert_eq!(d.encode_to_vec(), want);
    }

    #[test]
    fn plan_request_fields() {
        let r = pb::plan_resource_change::Request {
            type_name: "t".into(),
            prior_state: dv(0xc0),
            proposed_new_state: dv(0x80),
            config: dv(0x81),
            prior_private: vec![0x7b],
            ..Default::default()
        };
        let want = vec![
            0x0a, 0x01, b't', 0x12, 0x03, 0x0a, 0x01, 0xc0, 0x1a, 0x03, 0x0a, 0x01, 0x80, 0x22,
            0x03, 0x0a, 0x01, 0x81, 0x2a, 0x01, 0x7b,
        ];
        assert_eq!(r.encode_to_vec(), want);
    }

    #[test]
    fn apply_response_fields() {
        let r = pb::apply_resource_change::Response {
            new_state: dv(0xc0),
            private: vec![0x01],
            diagnostics: vec![pb::Diagnostic::default()],
            ..Default::default()
        };
        assert_eq!(
            r.encode_to_vec(),
            vec![0x0a, 0x03, 0x0a, 0x01, 0xc0, 0x12, 0x01, 0x01, 0x1a, 0x00]
        );
    }

    #[test]
    fn schema_fields() {
        let attr = pb::schema::Attribute {
            nested_type: Some(pb::schema::Object::default()),
            write_only: true,
            ..Default::default()
        };
        assert_eq!(attr.encode_to_vec(), vec![0x52, 0x00, 0x58, 0x01]);
        let response = pb::get_provider_schema::Response {
            provider: Some(pb::Schema::default()),
            diagnostics: vec![pb::Diagnostic::default()],
            server_capabilities: Some(pb::ServerCapabilities {
                plan_destroy: true,
                ..Default::default()
            }),
            ..Default::default()
        };
        assert_eq!(
            response.encode_to_vec(),
            vec![0x0a, 0x00, 0x22, 0x00, 0x32, 0x02, 0x08, 0x01]
        );
        let nested = pb::schema::NestedBlock {
            type_name: "n".into(),
            block: Some(pb::schema::Block::default()),
            nesting: pb::schema::nested_block::NestingMode::Single as i32,
            min_items: 0,
            max_items: 1,
        };
        assert_eq!(
            nested.encode_to_vec(),
            vec![0x0a, 0x01, b'n', 0x12, 0x00, 0x18, 0x01, 0x28, 0x01]
        );
    }

    #[test]
    fn stop_provider_error_is_field_one() {
        let r = pb::stop_provider::Response { error: "x".into() };
        assert_eq!(r.encode_to_vec(), vec![0x0a, 0x01, b'x']);
    }

    #[test]
    fn upgrade_and_import_fields() {
        let r = pb::upgrade_resource_state::Request {
            type_name: "t".into(),
            version: 1,
            raw_state: Some(pb::RawState {
                json: b"{}".to_vec(),
                flatmap: Default::default(),
            }),
        };
        assert_eq!(
            r.encode_to_vec(),
            vec![0x0a, 0x01, b't', 0x10, 0x01, 0x1a, 0x04, 0x0a, 0x02, b'{', b'}']
        );
        let i = pb::import_resource_state::Response {
            imported_resources: vec![pb::import_resource_state::ImportedResource {
                type_name: "t".into(),
                ..Default::default()
            }],
            ..Default::default()
        };
        assert_eq!(i.encode_to_vec(), vec![0x0a, 0x03, 0x0a, 0x01, b't']);
    }
}
