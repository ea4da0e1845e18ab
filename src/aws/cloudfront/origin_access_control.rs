//! CloudFront Origin Access Control; the ledger ID is its ID.
//!
//! It signs CloudFront's requests to an S3 origin (SigV4, always), so the bucket policy can
//! admit exactly one distribution. CloudFront cannot tag it: its name (the bucket's, unique
//! per account because bucket names are) and an ownership marker in its description identify
//! it, and only one carrying the marker is adopted.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::aws::kind::{first_changed, KindSpec, Reference};
use crate::plan::node::{Node, NodeKey, Tags};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OriginAccessControlSpec {
    /// Unique per account, at most 64 characters.
    pub name: String,
    /// `platform:owner=<owner>`: the ownership marker CloudFront keeps for us.
    pub description: String,
    /// SigV4 on every origin request; false when the live one signs otherwise.
    pub signs_always: bool,
}

/// The description that marks an origin access control as the owner's.
pub fn ownership_marker(owner: &str) -> String {
    format!("platform:owner={owner}")
}

impl KindSpec for OriginAccessControlSpec {
    const PREFIX: &'static str = "cloudfront.origin_access_control";
    const DISPLAY_NAME: &'static str = "CloudFront Origin Access Control";
    const IAM_ACTIONS: &'static [&'static str] = &[
        "cloudfront:CreateOriginAccessControl",
        "cloudfront:DeleteOriginAccessControl",
        "cloudfront:GetOriginAccessControl",
        "cloudfront:ListOriginAccessControls",
        "cloudfront:UpdateOriginAccessControl",
    ];

    fn references(&self) -> Vec<Reference<'_>> {
        vec![]
    }

    fn tags(&self) -> Option<&Tags> {
        None
    }

    fn replaced_by(&self, d: &Self) -> Option<&'static str> {
        first_changed(&[("name", self.name != d.name)])
    }

    fn hourly_charge(&self, _graph: &BTreeMap<NodeKey, Node>) -> Option<(&'static str, f64)> {
        None
    }
}

#[cfg(feature = "sdk")]
mod sdk {
    use aws_sdk_cloudfront::types::{
        OriginAccessControlConfig, OriginAccessControlOriginTypes,
        OriginAccessControlSigningBehaviors, OriginAccessControlSigningProtocols,
    };
    use aws_sdk_cloudfront::Client;

    use super::*;
    use crate::aws::common::ownership::name_taken;
    use crate::aws::error::{classify, is_code, none_if_not_found, AwsError};
    use crate::aws::kind::{AwsKind, Cx};

    /// One origin access control as listed: its ID, name and description.
    struct Listed {
        id: String,
        description: String,
    }

    impl AwsKind for OriginAccessControlSpec {
        async fn find(cx: &Cx<'_>, spec: &Self) -> Result<Option<String>, AwsError> {
            Ok(listed(&cx.clients.cloudfront, &spec.name)
                .await?
                .filter(|found| found.description == spec.description)
                .map(|found| found.id))
        }

        async fn observe(cx: &Cx<'_>, id: &str, _current: &Self) -> Result<Option<Self>, AwsError> {
            let Some((config, _)) = read(&cx.clients.cloudfront, id).await? else {
                return Ok(None);
            };
            Ok(Some(Self {
                name: config.name().to_string(),
                description: config.description().unwrap_or_default().to_string(),
                signs_always: signs_always(&config),
            }))
        }

        /// Adopts the one carrying our marker; refuses a name someone else holds.
        async fn create(cx: &Cx<'_>, spec: &Self) -> Result<String, AwsError> {
            let client = &cx.clients.cloudfront;
            for attempt in 0..2 {
                if let Some(found) = listed(client, &spec.name).await? {
                    if found.description != spec.description {
                        return Err(name_taken(Self::DISPLAY_NAME, &spec.name));
                    }
                    update_config(client, &found.id, spec).await?;
                    return Ok(found.id);
                }
                match client
                    .create_origin_access_control()
                    .origin_access_control_config(config(spec)?)
                    .send()
                    .await
                    .map_err(classify)
                {
                    Ok(out) => {
                        return out
                            .origin_access_control()
                            .map(|oac| oac.id().to_string())
                            .ok_or_else(|| AwsError::unexpected("no origin access control ID"))
                    }
                    // Another writer made it between the listing and the create: look again.
                    Err(e) if attempt == 0 && is_code(&e, "OriginAccessControlAlreadyExists") => {}
                    Err(e) => return Err(e),
                }
            }
            Err(AwsError::unexpected(format!(
                "origin access control {} exists but cannot be listed",
                spec.name
            )))
        }

        async fn update(
            cx: &Cx<'_>,
            id: &str,
            _current: &Self,
            desired: &Self,
        ) -> Result<String, AwsError> {
            update_config(&cx.clients.cloudfront, id, desired).await?;
            Ok(id.to_string())
        }

        /// After its distribution (which refers to it) is gone.
        async fn delete(cx: &Cx<'_>, id: &str, _current: &Self) -> Result<(), AwsError> {
            let client = &cx.clients.cloudfront;
            let Some((_, etag)) = read(client, id).await? else {
                return Ok(());
            };
            none_if_not_found(
                client
                    .delete_origin_access_control()
                    .id(id)
                    .if_match(etag)
                    .send()
                    .await
                    .map_err(classify),
            )
            .map(|_| ())
        }
    }

    fn signs_always(config: &OriginAccessControlConfig) -> bool {
        *config.signing_behavior() == OriginAccessControlSigningBehaviors::Always
            && *config.signing_protocol() == OriginAccessControlSigningProtocols::Sigv4
            && *config.origin_access_control_origin_type() == OriginAccessControlOriginTypes::S3
    }

    fn config(spec: &OriginAccessControlSpec) -> Result<OriginAccessControlConfig, AwsError> {
        OriginAccessControlConfig::builder()
            .name(&spec.name)
            .description(&spec.description)
            .signing_protocol(OriginAccessControlSigningProtocols::Sigv4)
            .signing_behavior(OriginAccessControlSigningBehaviors::Always)
            .origin_access_control_origin_type(OriginAccessControlOriginTypes::S3)
            .build()
            .map_err(|e| AwsError::unexpected(e.to_string()))
    }

    /// The configuration and ETag; `None` when it is gone.
    async fn read(
        client: &Client,
        id: &str,
    ) -> Result<Option<(OriginAccessControlConfig, String)>, AwsError> {
        let Some(out) = none_if_not_found(
            client
                .get_origin_access_control()
                .id(id)
                .send()
                .await
                .map_err(classify),
        )?
        else {
            return Ok(None);
        };
        let config = out
            .origin_access_control()
            .and_then(|oac| oac.origin_access_control_config())
            .cloned()
            .ok_or_else(|| AwsError::unexpected("origin access control without configuration"))?;
        Ok(Some((config, out.e_tag().unwrap_or_default().to_string())))
    }

    async fn update_config(
        client: &Client,
        id: &str,
        spec: &OriginAccessControlSpec,
    ) -> Result<(), AwsError> {
        let Some((live, etag)) = read(client, id).await? else {
            return Err(AwsError::unexpected(format!(
                "origin access control {id} is gone"
            )));
        };
        if signs_always(&live) && live.description() == Some(spec.description.as_str()) {
            return Ok(());
        }
        client
            .update_origin_access_control()
            .id(id)
            .if_match(etag)
            .origin_access_control_config(config(spec)?)
            .send()
            .await
            .map_err(classify)?;
        Ok(())
    }

    /// The origin access control named `name`, from the account's listing (names are unique).
    async fn listed(client: &Client, name: &str) -> Result<Option<Listed>, AwsError> {
        let mut marker: Option<String> = None;
        loop {
            let out = client
                .list_origin_access_controls()
                .set_marker(marker.take())
                .send()
                .await
                .map_err(classify)?;
            let Some(list) = out.origin_access_control_list() else {
                return Ok(None);
            };
            if let Some(found) = list.items().iter().find(|oac| oac.name() == name) {
                return Ok(Some(Listed {
                    id: found.id().to_string(),
                    description: found.description().to_string(),
                }));
            }
            match list.next_marker() {
                Some(next) if list.is_truncated() && !next.is_empty() => {
                    marker = Some(next.to_string());
                }
                _ => return Ok(None),
            }
        }
    }
}
