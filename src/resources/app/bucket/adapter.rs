//! The adapter of `platform_bucket`: the account its name carries.

use async_trait::async_trait;

use crate::framework::diag::{Diagnostic, Diagnostics};
use crate::framework::path::AttrPath;
use crate::plan::app::{validate_bucket, BucketSpec, EnvironmentFacts};
use crate::plan::expand::bucket::expand_bucket;
use crate::plan::expand::policy::partition;
use crate::plan::ledger::Ledger;
use crate::resources::configured::{Configured, PlannedTarget};
use crate::resources::ids::Ids;

use super::{model, Bucket};
use crate::resources::app::{AppKind, AppResource, Mode, Prepared};
use model::{BucketComputed, BucketConfig, BucketPrior};

pub type BucketResource = AppResource<Bucket>;

/// The account the credentials belong to, which every bucket name carries.
pub async fn account_of(configured: &Configured) -> Result<String, Diagnostics> {
    configured.account_id().await.map_err(|e| {
        Diagnostics::from(Diagnostic::error(
            "Cannot tell the AWS account",
            format!("STS GetCallerIdentity failed: {e}. Bucket names carry the account ID."),
        ))
    })
}

#[async_trait]
impl AppKind for Bucket {
    type Spec = BucketSpec;
    type Prior = BucketPrior;
    type Computed = BucketComputed;

    async fn prepare(
        configured: &Configured,
        config: &BucketConfig,
        env: &EnvironmentFacts,
        _ledger: &Ledger,
        mode: Mode,
    ) -> Result<Prepared<Self::Spec>, Diagnostics> {
        let account = account_of(configured).await?;
        let spec = model::spec_of(config, env, &account, &configured.default_tags);
        if mode.validates() {
            let diags = validate_bucket(&spec);
            if diags.has_errors() {
                return Err(diags);
            }
        }
        if mode == Mode::Plan {
            configured.note_planned(
                &format!("{}/{}", spec.environment, spec.name),
                PlannedTarget::Bucket {
                    kms_key_arn: spec.kms_key_arn.clone(),
                },
            );
        }
        let expansion = expand_bucket(&spec);
        Ok(Prepared {
            effective_config: model::effective_config(&spec),
            spec,
            nodes: expansion.nodes,
            external: expansion.external,
            warnings: Diagnostics::new(),
            deferred: Vec::new(),
        })
    }

    async fn computed(
        _configured: &Configured,
        spec: &BucketSpec,
        _ids: &Ids<'_>,
        _prior: Option<&BucketPrior>,
    ) -> BucketComputed {
        let name = spec.bucket_name();
        BucketComputed {
            bucket_arn: format!("arn:{}:s3:::{name}", partition(&spec.region)),
            bucket_regional_domain_name: format!("{name}.s3.{}.amazonaws.com", spec.region),
            bucket_name: name,
        }
    }

    fn property_path(property: &str) -> Option<AttrPath> {
        match property {
            "name" | "region" => Some(AttrPath::attrs(&["name"])),
            _ => None,
        }
    }

    fn imported_config(ledger: &Ledger, env: &EnvironmentFacts, config: &mut BucketConfig) {
        model::imported_config(ledger, env, config);
    }
}
