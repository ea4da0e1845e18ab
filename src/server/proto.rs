//! Code generated from `proto/` at build time by `build.rs` (protox + tonic-prost-build).
//!
//! - [`tfplugin6`]: Terraform's plugin protocol 6: messages, `provider_server::{Provider,
//!   ProviderServer}` and `provider_client::ProviderClient`.
//! - [`plugin`]: go-plugin's `GRPCController`, `GRPCStdio` and `GRPCBroker`, servers and clients.
//!
//! Nested protobuf messages become modules named after their parent in snake case, e.g.
//! `tfplugin6::get_provider_schema::Response` or `tfplugin6::attribute_path::step::Selector`.

/// Terraform plugin protocol 6 (`proto/tfplugin6.proto`).
#[allow(missing_docs, clippy::all, clippy::pedantic, clippy::nursery)]
pub mod tfplugin6 {
    tonic::include_proto!("tfplugin6");
}

/// go-plugin's helper services (`proto/plugin.proto`).
#[allow(missing_docs, clippy::all, clippy::pedantic, clippy::nursery)]
pub mod plugin {
    tonic::include_proto!("plugin");
}

#[cfg(test)]
mod tests {
    //! Pins the wire encodings of messages Terraform 1.0.3 sends and reads (docs/design/protocol.md §5), so a
    //! wrong field number fails here. A tag byte is `field << 3 | wire type`: wire type 0 is a
    //! varint, 2 is length-delimited (strings, bytes, messages, packed and map entries).

    use prost::Message;

    use super::plugin;
    use super::tfplugin6 as pb;

    /// A `DynamicValue` whose msgpack is the single byte `byte`: encodes as `0a 01 <byte>`.
    #[allow(clippy::unnecessary_wraps)] // fields are Option<DynamicValue>
    fn dv(byte: u8) -> Option<pb::DynamicValue> {
        Some(pb::DynamicValue {
            msgpack: vec![byte],
            json: vec![],
        })
    }

    #[test]
    fn dynamic_value_msgpack_is_1_json_is_2() {
        let v = pb::DynamicValue {
            msgpack: vec![0xc0],
            json: b"{}".to_vec(),
        };
        assert_eq!(
            v.encode_to_vec(),
            [0x0a, 0x01, 0xc0, 0x12, 0x02, b'{', b'}']
        );
    }

    #[test]
    fn validate_provider_config_response_uses_field_two() {
        let response = pb::validate_provider_config::Response {
            diagnostics: vec![pb::Diagnostic {
                severity: pb::diagnostic::Severity::Error as i32,
                ..Default::default()
            }],
        };
        // 0x12 = field 2, length-delimited; 1 was protocol 5's prepared_config.
        assert_eq!(response.encode_to_vec(), [0x12, 0x02, 0x08, 0x01]);
    }

    #[test]
    fn diagnostic_and_attribute_path_fields() {
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
        let want = [
            0x08, 0x02, // severity = WARNING (field 1, varint)
            0x12, 0x01, b's', // summary = 2
            0x1a, 0x01, b'd', // detail = 3
            0x22, 0x0e, // attribute = 4, 14 bytes of steps (field 1 each)
            0x0a, 0x03, 0x0a, 0x01, b'a', // attribute_name = 1
            0x0a, 0x03, 0x12, 0x01, b'k', // element_key_string = 2
            0x0a, 0x02, 0x18, 0x02, // element_key_int = 3 (varint)
        ];
        assert_eq!(d.encode_to_vec(), want);
    }

    #[test]
    fn severity_and_nesting_enum_values() {
        use pb::schema::nested_block::NestingMode;
        assert_eq!(pb::diagnostic::Severity::Invalid as i32, 0);
        assert_eq!(pb::diagnostic::Severity::Error as i32, 1);
        assert_eq!(pb::diagnostic::Severity::Warning as i32, 2);
        assert_eq!(NestingMode::Single as i32, 1);
        assert_eq!(NestingMode::List as i32, 2);
        assert_eq!(NestingMode::Set as i32, 3);
        assert_eq!(NestingMode::Map as i32, 4);
        assert_eq!(NestingMode::Group as i32, 5);
        assert_eq!(pb::StringKind::Markdown as i32, 1);
    }

    #[test]
    fn schema_attribute_fields() {
        let attr = pb::schema::Attribute {
            name: "n".into(),
            r#type: b"\"string\"".to_vec(),
            description: "d".into(),
            required: true,
            optional: true,
            computed: true,
            sensitive: true,
            description_kind: pb::StringKind::Markdown as i32,
            deprecated: true,
            ..Default::default()
        };
        let want = [
            0x0a, 0x01, b'n', // name = 1
            0x12, 0x08, b'"', b's', b't', b'r', b'i', b'n', b'g', b'"', // type = 2 (JSON)
            0x1a, 0x01, b'd', // description = 3
            0x20, 0x01, // required = 4
            0x28, 0x01, // optional = 5
            0x30, 0x01, // computed = 6
            0x38, 0x01, // sensitive = 7
            0x40, 0x01, // description_kind = 8
            0x48, 0x01, // deprecated = 9
        ];
        assert_eq!(attr.encode_to_vec(), want);

        let attr = pb::schema::Attribute {
            nested_type: Some(pb::schema::Object::default()),
            write_only: true,
            deprecation_message: "m".into(),
            ..Default::default()
        };
        // nested_type = 10, write_only = 11, deprecation_message = 12.
        assert_eq!(
            attr.encode_to_vec(),
            [0x52, 0x00, 0x58, 0x01, 0x62, 0x01, b'm']
        );
    }

    #[test]
    fn schema_block_and_nested_block_fields() {
        let block = pb::schema::Block {
            version: 1,
            attributes: vec![pb::schema::Attribute::default()],
            block_types: vec![pb::schema::NestedBlock::default()],
            description: "d".into(),
            description_kind: pb::StringKind::Markdown as i32,
            deprecated: true,
            deprecation_message: "m".into(),
        };
        let want = [
            0x08, 0x01, // version = 1
            0x12, 0x00, // attributes = 2
            0x1a, 0x00, // block_types = 3
            0x22, 0x01, b'd', // description = 4
            0x28, 0x01, // description_kind = 5
            0x30, 0x01, // deprecated = 6
            0x3a, 0x01, b'm', // deprecation_message = 7
        ];
        assert_eq!(block.encode_to_vec(), want);

        let nested = pb::schema::NestedBlock {
            type_name: "n".into(),
            block: Some(pb::schema::Block::default()),
            nesting: pb::schema::nested_block::NestingMode::List as i32,
            min_items: 1,
            max_items: 2,
        };
        assert_eq!(
            nested.encode_to_vec(),
            [0x0a, 0x01, b'n', 0x12, 0x00, 0x18, 0x02, 0x20, 0x01, 0x28, 0x02]
        );

        let schema = pb::Schema {
            version: 3,
            block: Some(pb::schema::Block::default()),
        };
        assert_eq!(schema.encode_to_vec(), [0x08, 0x03, 0x12, 0x00]);
    }

    #[test]
    fn get_provider_schema_response_fields() {
        let versioned = pb::Schema {
            version: 1,
            block: None,
        };
        let response = pb::get_provider_schema::Response {
            provider: Some(pb::Schema::default()),
            resource_schemas: [("r".to_string(), versioned.clone())].into(),
            data_source_schemas: [("d".to_string(), versioned)].into(),
            diagnostics: vec![pb::Diagnostic::default()],
            server_capabilities: Some(pb::ServerCapabilities {
                plan_destroy: true,
                ..Default::default()
            }),
            ..Default::default()
        };
        let want = [
            0x0a, 0x00, // provider = 1
            // Map entries are messages {key = 1, value = 2}.
            0x12, 0x07, 0x0a, 0x01, b'r', 0x12, 0x02, 0x08, 0x01, // resource_schemas = 2
            0x1a, 0x07, 0x0a, 0x01, b'd', 0x12, 0x02, 0x08, 0x01, // data_source_schemas = 3
            0x22, 0x00, // diagnostics = 4
            0x32, 0x02, 0x08, 0x01, // server_capabilities = 6 {plan_destroy = 1}
        ];
        assert_eq!(response.encode_to_vec(), want);

        let meta = pb::get_provider_schema::Response {
            provider_meta: Some(pb::Schema::default()),
            ..Default::default()
        };
        assert_eq!(meta.encode_to_vec(), [0x2a, 0x00]);
    }

    #[test]
    fn validate_requests_and_responses() {
        // ValidateProviderConfig.Request: config = 1.
        let r = pb::validate_provider_config::Request::decode(&[0x0a, 0x03, 0x0a, 0x01, 0x80][..])
            .unwrap();
        assert_eq!(r.config, dv(0x80));

        // ValidateResourceConfig / ValidateDataResourceConfig.Request: type_name = 1, config = 2.
        let bytes = [0x0a, 0x01, b't', 0x12, 0x03, 0x0a, 0x01, 0x80];
        let r = pb::validate_resource_config::Request::decode(&bytes[..]).unwrap();
        assert_eq!((r.type_name.as_str(), r.config), ("t", dv(0x80)));
        let r = pb::validate_data_resource_config::Request::decode(&bytes[..]).unwrap();
        assert_eq!((r.type_name.as_str(), r.config), ("t", dv(0x80)));

        // Their responses carry diagnostics in field 1.
        let d = vec![pb::Diagnostic::default()];
        let resource = pb::validate_resource_config::Response {
            diagnostics: d.clone(),
        };
        let data = pb::validate_data_resource_config::Response {
            diagnostics: d.clone(),
        };
        let configure = pb::configure_provider::Response { diagnostics: d };
        assert_eq!(resource.encode_to_vec(), [0x0a, 0x00]);
        assert_eq!(data.encode_to_vec(), [0x0a, 0x00]);
        assert_eq!(configure.encode_to_vec(), [0x0a, 0x00]);
    }

    #[test]
    fn configure_provider_request_fields() {
        let bytes = [
            0x0a, 0x05, b'1', b'.', b'0', b'.', b'3', // terraform_version = 1
            0x12, 0x03, 0x0a, 0x01, 0x80, // config = 2
        ];
        let r = pb::configure_provider::Request::decode(&bytes[..]).unwrap();
        assert_eq!(r.terraform_version, "1.0.3");
        assert_eq!(r.config, dv(0x80));
    }

    #[test]
    fn upgrade_resource_state_fields() {
        let r = pb::upgrade_resource_state::Request {
            type_name: "t".into(),
            version: 1,
            raw_state: Some(pb::RawState {
                json: b"{}".to_vec(),
                flatmap: std::collections::HashMap::new(),
            }),
        };
        assert_eq!(
            r.encode_to_vec(),
            [0x0a, 0x01, b't', 0x10, 0x01, 0x1a, 0x04, 0x0a, 0x02, b'{', b'}']
        );
        let flatmap =
            pb::RawState::decode(&[0x12, 0x06, 0x0a, 0x01, b'k', 0x12, 0x01, b'v'][..]).unwrap();
        assert_eq!(flatmap.flatmap.get("k").map(String::as_str), Some("v"));

        let response = pb::upgrade_resource_state::Response {
            upgraded_state: dv(0x80),
            diagnostics: vec![pb::Diagnostic::default()],
        };
        assert_eq!(
            response.encode_to_vec(),
            [0x0a, 0x03, 0x0a, 0x01, 0x80, 0x12, 0x00]
        );
    }

    #[test]
    fn read_resource_fields() {
        let bytes = [
            0x0a, 0x01, b't', // type_name = 1
            0x12, 0x03, 0x0a, 0x01, 0x80, // current_state = 2
            0x1a, 0x01, 0x7b, // private = 3
            0x22, 0x03, 0x0a, 0x01, 0xc0, // provider_meta = 4
        ];
        let r = pb::read_resource::Request::decode(&bytes[..]).unwrap();
        assert_eq!(r.type_name, "t");
        assert_eq!(r.current_state, dv(0x80));
        assert_eq!(r.private, [0x7b]);
        assert_eq!(r.provider_meta, dv(0xc0));

        let response = pb::read_resource::Response {
            new_state: dv(0x80),
            diagnostics: vec![pb::Diagnostic::default()],
            private: vec![0x7b],
            ..Default::default()
        };
        assert_eq!(
            response.encode_to_vec(),
            [0x0a, 0x03, 0x0a, 0x01, 0x80, 0x12, 0x00, 0x1a, 0x01, 0x7b]
        );
    }

    #[test]
    fn plan_resource_change_fields() {
        let r = pb::plan_resource_change::Request {
            type_name: "t".into(),
            prior_state: dv(0xc0),
            proposed_new_state: dv(0x80),
            config: dv(0x81),
            prior_private: vec![0x7b],
            provider_meta: dv(0xc0),
            ..Default::default()
        };
        let want = [
            0x0a, 0x01, b't', // type_name = 1
            0x12, 0x03, 0x0a, 0x01, 0xc0, // prior_state = 2
            0x1a, 0x03, 0x0a, 0x01, 0x80, // proposed_new_state = 3
            0x22, 0x03, 0x0a, 0x01, 0x81, // config = 4
            0x2a, 0x01, 0x7b, // prior_private = 5
            0x32, 0x03, 0x0a, 0x01, 0xc0, // provider_meta = 6
        ];
        assert_eq!(r.encode_to_vec(), want);
        assert_eq!(
            pb::plan_resource_change::Request::decode(&want[..]).unwrap(),
            r
        );

        let response = pb::plan_resource_change::Response {
            planned_state: dv(0x80),
            requires_replace: vec![pb::AttributePath::default()],
            planned_private: vec![0x7b],
            diagnostics: vec![pb::Diagnostic::default()],
            legacy_type_system: true,
            ..Default::default()
        };
        let want = [
            0x0a, 0x03, 0x0a, 0x01, 0x80, // planned_state = 1
            0x12, 0x00, // requires_replace = 2
            0x1a, 0x01, 0x7b, // planned_private = 3
            0x22, 0x00, // diagnostics = 4
            0x28, 0x01, // legacy_type_system = 5
        ];
        assert_eq!(response.encode_to_vec(), want);
    }

    #[test]
    fn apply_resource_change_fields() {
        let bytes = [
            0x0a, 0x01, b't', // type_name = 1
            0x12, 0x03, 0x0a, 0x01, 0xc0, // prior_state = 2
            0x1a, 0x03, 0x0a, 0x01, 0x80, // planned_state = 3
            0x22, 0x03, 0x0a, 0x01, 0x81, // config = 4
            0x2a, 0x01, 0x7b, // planned_private = 5
            0x32, 0x03, 0x0a, 0x01, 0xc0, // provider_meta = 6
        ];
        let r = pb::apply_resource_change::Request::decode(&bytes[..]).unwrap();
        assert_eq!(r.type_name, "t");
        assert_eq!(r.prior_state, dv(0xc0));
        assert_eq!(r.planned_state, dv(0x80));
        assert_eq!(r.config, dv(0x81));
        assert_eq!(r.planned_private, [0x7b]);
        assert_eq!(r.provider_meta, dv(0xc0));

        let response = pb::apply_resource_change::Response {
            new_state: dv(0xc0),
            private: vec![0x01],
            diagnostics: vec![pb::Diagnostic::default()],
            legacy_type_system: true,
            ..Default::default()
        };
        assert_eq!(
            response.encode_to_vec(),
            [0x0a, 0x03, 0x0a, 0x01, 0xc0, 0x12, 0x01, 0x01, 0x1a, 0x00, 0x20, 0x01]
        );
    }

    #[test]
    fn import_resource_state_fields() {
        let r =
            pb::import_resource_state::Request::decode(&[0x0a, 0x01, b't', 0x12, 0x01, b'i'][..])
                .unwrap();
        assert_eq!((r.type_name.as_str(), r.id.as_str()), ("t", "i"));

        let response = pb::import_resource_state::Response {
            imported_resources: vec![pb::import_resource_state::ImportedResource {
                type_name: "t".into(),
                state: dv(0x80),
                private: vec![0x7b],
                ..Default::default()
            }],
            diagnostics: vec![pb::Diagnostic::default()],
            ..Default::default()
        };
        let want = [
            0x0a, 0x0b, // imported_resources = 1
            0x0a, 0x01, b't', // type_name = 1
            0x12, 0x03, 0x0a, 0x01, 0x80, // state = 2
            0x1a, 0x01, 0x7b, // private = 3
            0x12, 0x00, // diagnostics = 2
        ];
        assert_eq!(response.encode_to_vec(), want);
    }

    #[test]
    fn read_data_source_fields() {
        let bytes = [
            0x0a, 0x01, b't', // type_name = 1
            0x12, 0x03, 0x0a, 0x01, 0x80, // config = 2
            0x1a, 0x03, 0x0a, 0x01, 0xc0, // provider_meta = 3
        ];
        let r = pb::read_data_source::Request::decode(&bytes[..]).unwrap();
        assert_eq!(r.type_name, "t");
        assert_eq!(r.config, dv(0x80));
        assert_eq!(r.provider_meta, dv(0xc0));

        let response = pb::read_data_source::Response {
            state: dv(0x80),
            diagnostics: vec![pb::Diagnostic::default()],
            ..Default::default()
        };
        assert_eq!(
            response.encode_to_vec(),
            [0x0a, 0x03, 0x0a, 0x01, 0x80, 0x12, 0x00]
        );
    }

    #[test]
    fn stop_provider_error_is_field_one() {
        let r = pb::stop_provider::Response { error: "x".into() };
        assert_eq!(r.encode_to_vec(), [0x0a, 0x01, b'x']);
    }

    #[test]
    fn go_plugin_messages() {
        let data = plugin::StdioData {
            channel: plugin::stdio_data::Channel::Stderr as i32,
            data: b"x".to_vec(),
        };
        assert_eq!(data.encode_to_vec(), [0x08, 0x02, 0x12, 0x01, b'x']);

        let info = plugin::ConnInfo {
            service_id: 1,
            network: "n".into(),
            address: "a".into(),
            knock: Some(plugin::conn_info::Knock {
                knock: true,
                ack: true,
                error: "e".into(),
            }),
        };
        let want = [
            0x08, 0x01, // service_id = 1
            0x12, 0x01, b'n', // network = 2
            0x1a, 0x01, b'a', // address = 3
            0x22, 0x07, 0x08, 0x01, 0x10, 0x01, 0x1a, 0x01, b'e', // knock = 4
        ];
        assert_eq!(info.encode_to_vec(), want);
        assert!(plugin::Empty {}.encode_to_vec().is_empty());
    }
}
