//! The adapter of `platform_bucket`: the account its name carries.

use async_trait::async_trait;

use crate::aws::cloudfront::distribution::distribution_domain;
use crate::aws::error::classify;
use crate::aws::s3::bucket::{not_empty, object_count};
use crate::framework::diag::{Diagnostic, Diagnostics};
use crate::framework::path::AttrPath;
use crate::framework::value::Planned;
use crate::plan::app::{
    check_certificate_names, validate_bucket, BucketSpec, CdnSpec, EnvironmentFacts,
};
use crate::plan::expand::bucket::{self as expand_bucket, expand_bucket};
use crate::plan::expand::policy::partition;
use crate::plan::ledger::Ledger;
use crate::resources::app::model::kept;
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

/// The plan's check of a CDN certificate: it exists in us-east-1 and covers every alias.
async fn check_certificate(configured: &Configured, cdn: &CdnSpec) -> Result<(), Diagnostics> {
    let Some(arn) = &cdn.certificate_arn else {
        return Ok(());
    };
    let at = AttrPath::attrs(&["cdn", "certificate_arn"]);
    let described = configured
        .clients
        .acm_us_east_1
        .describe_certificate()
        .certificate_arn(arn)
        .send()
        .await
        .map_err(classify);
    let certificate = match described {
        Ok(out) => out.certificate().cloned(),
        Err(e) if e.is_not_found() => None,
        Err(e) => {
            return Err(Diagnostics::from(
                Diagnostic::error(
                    "Cannot read the certificate",
                    format!("ACM DescribeCertificate of {arn} in us-east-1 failed: {e}"),
                )
                .at(at),
            ))
        }
    };
    let Some(certificate) = certificate else {
        return Err(Diagnostics::from(
            Diagnostic::error(
                "Certificate not found",
                format!("ACM in us-east-1 has no certificate {arn}."),
            )
            .at(at),
        ));
    };
    let mut names: Vec<String> = certificate.subject_alternative_names().to_vec();
    names.extend(certificate.domain_name().map(str::to_string));
    names.sort();
    names.dedup();
    let diags = check_certificate_names(cdn, &names);
    if diags.has_errors() {
        return Err(diags);
    }
    Ok(())
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
        let mut spec = model::spec_of(config, env, &account, &configured.default_tags);
        if mode == Mode::Discover && spec.cdn.is_none() {
            // Import, and destroy after a crash, look for a CDN too: the configuration they
            // start from may not name it.
            spec.cdn = Some(model::cdn_spec(&Default::default()));
        }
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

    async fn plan_checks(configured: &Configured, config: &BucketConfig) -> Diagnostics {
        match config.cdn.as_ref().map(model::cdn_spec) {
            Some(cdn) => check_certificate(configured, &cdn)
                .await
                .err()
                .unwrap_or_default(),
            None => Diagnostics::new(),
        }
    }

    /// A bucket holding objects without `force_destroy` is refused before its CDN and policy
    /// go, so a refused destroy leaves it whole.
    async fn refuse_destroy_live(
        configured: &Configured,
        config: &BucketConfig,
        ledger: &Ledger,
    ) -> Diagnostics {
        if config.force_destroy.unwrap_or(false) {
            return Diagnostics::new();
        }
        let Some(name) = ledger.id_of(&expand_bucket::bucket_key()) else {
            return Diagnostics::new();
        };
        let refusal = match object_count(&configured.clients.s3, name).await {
            Ok(Some(count)) if count > 0 => not_empty(name, count),
            Ok(_) => return Diagnostics::new(),
            Err(e) => e,
        };
        Diagnostics::from(Diagnostic::error(
            "Cannot destroy the bucket",
            format!("{refusal}. Nothing was deleted."),
        ))
    }

    async fn computed(
        configured: &Configured,
        spec: &BucketSpec,
        ids: &Ids<'_>,
        prior: Option<&BucketPrior>,
    ) -> BucketComputed {
        let name = spec.bucket_name();
        let distribution = expand_bucket::distribution_key();
        let cdn_distribution_id = ids.id_or_empty(&distribution);
        let cdn_domain_name = match (&spec.cdn, ids) {
            (None, _) => Planned::Known(String::new()),
            (Some(_), Ids::Recorded(ledger)) => {
                let domain = match ledger.id_of(&distribution) {
                    Some(id) => distribution_domain(&configured.clients.cloudfront, id)
                        .await
                        .ok()
                        .flatten(),
                    None => None,
                };
                Planned::Known(domain.unwrap_or_default())
            }
            (Some(_), Ids::Planned(..)) => kept(
                ids.stable(&distribution),
                prior.and_then(|p| p.cdn_domain_name.as_ref()),
            ),
        };
        let url = match &spec.cdn {
            None => Planned::Known(String::new()),
            Some(cdn) if !cdn.aliases.is_empty() => Planned::Known(cdn.url("")),
            Some(cdn) => cdn_domain_name.clone().map(|domain| {
                if domain.is_empty() {
                    domain
                } else {
                    cdn.url(&domain)
                }
            }),
        };
        BucketComputed {
            bucket_arn: format!("arn:{}:s3:::{name}", partition(&spec.region)),
            bucket_regional_domain_name: format!("{name}.s3.{}.amazonaws.com", spec.region),
            bucket_name: name,
            cdn_domain_name,
            cdn_distribution_id,
            url,
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
