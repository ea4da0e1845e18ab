//! ACM certificate requested with DNS validation; the ledger ID is its ARN.
//!
//! Create only requests the certificate: issuance needs DNS records the user creates, so the
//! listener that uses it is what waits (`wait_certificate_issued`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::aws::kind::{first_changed, KindSpec, Reference};
use crate::plan::node::{Node, NodeKey, Tags};

/// An ACM certificate requested with DNS validation; its ledger ID is its ARN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateSpec {
    pub domain: String,
    /// Subject alternative names besides `domain`. Sorted.
    pub alternative_names: Vec<String>,
    pub tags: Tags,
}

impl KindSpec for CertificateSpec {
    const PREFIX: &'static str = "acm.certificate";
    const DISPLAY_NAME: &'static str = "ACM Certificate";
    const IAM_ACTIONS: &'static [&'static str] = &[
        "acm:AddTagsToCertificate",
        "acm:DeleteCertificate",
        "acm:DescribeCertificate",
        "acm:ListCertificates",
        "acm:ListTagsForCertificate",
        "acm:RemoveTagsFromCertificate",
        "acm:RequestCertificate",
    ];
    const CREATE_BEFORE_DESTROY: bool = true;

    fn references(&self) -> Vec<Reference<'_>> {
        vec![]
    }

    fn tags(&self) -> Option<&Tags> {
        Some(&self.tags)
    }

    fn replaced_by(&self, d: &Self) -> Option<&'static str> {
        first_changed(&[
            ("domain", self.domain != d.domain),
            (
                "alternative_names",
                self.alternative_names != d.alternative_names,
            ),
        ])
    }

    fn hourly_charge(&self, _graph: &BTreeMap<NodeKey, Node>) -> Option<(&'static str, f64)> {
        None
    }
}

#[cfg(feature = "sdk")]
pub use sdk::*;

#[cfg(feature = "sdk")]
mod sdk {
    use std::sync::Arc;
    use std::sync::Mutex;
    use std::time::Duration;

    use aws_sdk_acm::types::{CertificateDetail, CertificateStatus, Tag, ValidationMethod};
    use aws_sdk_acm::Client;

    use super::*;
    use crate::apply::IdMap;
    use crate::aws::common::ownership::{owned_by, tag_changes};
    use crate::aws::common::poll::{poll_until, within, Poll};
    use crate::aws::common::reads::Reads;
    use crate::aws::common::tags;
    use crate::aws::error::{classify, none_if_not_found, AwsError};
    use crate::aws::kind::{AwsKind, Cx};
    use crate::plan::expand::naming::{TAG_NODE, TAG_OWNER};

    impl AwsKind for CertificateSpec {
        async fn find(cx: &Cx<'_>, spec: &Self) -> Result<Option<String>, AwsError> {
            find_owned_certificate(&cx.clients.acm, spec, cx.ids).await
        }

        /// An environment has at most one certificate and ACM has no batch describe: the
        /// certificate and its tags are read by ARN, shared by every resource observing it.
        async fn observe(cx: &Cx<'_>, id: &str, _current: &Self) -> Result<Option<Self>, AwsError> {
            let client = &cx.clients.acm;
            let certificate = shared_certificate(client, cx.reads, id).await?;
            let Some(certificate) = certificate.as_ref() else {
                return Ok(None);
            };
            let tags = cx
                .reads
                .get(&format!("acm.certificate/{id}/tags"), || async {
                    none_if_not_found(find_certificate_tags(client, id).await)
                })
                .await?;
            Ok(tags
                .as_ref()
                .as_ref()
                .map(|tags| flatten_certificate(certificate, tags.clone())))
        }

        async fn create(cx: &Cx<'_>, spec: &Self) -> Result<String, AwsError> {
            create_certificate(&cx.clients.acm, spec, cx.ids).await
        }

        async fn update(
            cx: &Cx<'_>,
            id: &str,
            current: &Self,
            desired: &Self,
        ) -> Result<String, AwsError> {
            update_certificate(&cx.clients.acm, id, current, desired, cx.ids).await
        }

        async fn delete(cx: &Cx<'_>, id: &str, _current: &Self) -> Result<(), AwsError> {
            delete_certificate(&cx.clients.acm, id).await
        }
    }

    /// Statuses a certificate can still be used or issued in. The others (`FAILED`,
    /// `VALIDATION_TIMED_OUT`, `REVOKED`, `EXPIRED`) are dead ends and never adopted.
    const LIVE_STATUSES: [CertificateStatus; 3] = [
        CertificateStatus::PendingValidation,
        CertificateStatus::Issued,
        CertificateStatus::Inactive,
    ];

    // find

    pub async fn find_certificate_by_arn(
        client: &Client,
        arn: &str,
    ) -> Result<Option<CertificateDetail>, AwsError> {
        let out = none_if_not_found(
            client
                .describe_certificate()
                .certificate_arn(arn)
                .send()
                .await
                .map_err(classify),
        )?;
        Ok(out.and_then(|o| o.certificate().cloned()))
    }

    pub async fn find_certificate_tags(client: &Client, arn: &str) -> Result<Tags, AwsError> {
        let out = client
            .list_tags_for_certificate()
            .certificate_arn(arn)
            .send()
            .await
            .map_err(classify)?;
        Ok(tags::from_sdk(out.tags()))
    }

    /// ARNs of live certificates for `domain`. ListCertificates has no domain filter, so every
    /// page is read. It lists RSA_2048 keys only by default, which is what RequestCertificate
    /// makes when no key algorithm is given.
    async fn find_certificates_for_domain(
        client: &Client,
        domain: &str,
    ) -> Result<Vec<String>, AwsError> {
        let mut pages = client
            .list_certificates()
            .set_certificate_statuses(Some(LIVE_STATUSES.to_vec()))
            .into_paginator()
            .send();
        let mut arns = Vec::new();
        while let Some(page) = pages.next().await {
            arns.extend(
                page.map_err(classify)?
                    .certificate_summary_list()
                    .iter()
                    .filter(|c| {
                        c.domain_name()
                            .is_some_and(|d| d.eq_ignore_ascii_case(domain))
                    })
                    .filter_map(|c| c.certificate_arn().map(str::to_string)),
            );
        }
        Ok(arns)
    }

    /// The ledger ID of an existing object carrying the spec's ownership tags, without changing
    /// anything (import and discovery); `None` when there is none.
    pub async fn find_owned_certificate(
        client: &Client,
        spec: &CertificateSpec,
        ids: &IdMap,
    ) -> Result<Option<String>, AwsError> {
        let _ = ids;
        Ok(find_owned(client, spec).await?.map(|(arn, _)| arn))
    }

    /// The owned certificate's ARN and tags. Certificates have no name and other certificates
    /// for the domain are no conflict, so only the tags identify ours.
    async fn find_owned(
        client: &Client,
        spec: &CertificateSpec,
    ) -> Result<Option<(String, Tags)>, AwsError> {
        for arn in find_certificates_for_domain(client, &spec.domain).await? {
            // Deleted between the list and this call: not ours to adopt.
            let Some(tags) = none_if_not_found(find_certificate_tags(client, &arn).await)? else {
                continue;
            };
            if owned_by(&tags, &spec.tags) {
                return Ok(Some((arn, tags)));
            }
        }
        Ok(None)
    }

    /// What the environment shows the user about a certificate: its status, the names it covers
    /// and the DNS records that validate it.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct CertificateFacts {
        /// `PENDING_VALIDATION`, `ISSUED`, `FAILED`, …
        pub status: String,
        /// The domain first, then the other names, sorted.
        pub names: Vec<String>,
        /// (name, type, value), deduplicated and sorted.
        pub validation_records: Vec<(String, String, String)>,
    }

    /// The certificate by ARN, read once per scope: observe and the environment's certificate
    /// facts share this read. `None` when it is gone.
    pub async fn shared_certificate(
        client: &Client,
        reads: &Reads,
        arn: &str,
    ) -> Result<Arc<Option<CertificateDetail>>, AwsError> {
        reads
            .get(&format!("acm.certificate/{arn}"), || {
                find_certificate_by_arn(client, arn)
            })
            .await
    }

    pub fn certificate_facts(certificate: &CertificateDetail) -> CertificateFacts {
        let domain = certificate.domain_name().unwrap_or_default().to_string();
        let mut names = vec![domain.clone()];
        names.extend(other_names(certificate, &domain));
        let mut validation_records: Vec<(String, String, String)> = certificate
            .domain_validation_options()
            .iter()
            .filter_map(|o| o.resource_record())
            .map(|r| {
                (
                    r.name().to_string(),
                    r.r#type().as_str().to_string(),
                    r.value().to_string(),
                )
            })
            .collect();
        // A wildcard and its apex share one record.
        validation_records.sort();
        validation_records.dedup();
        CertificateFacts {
            status: certificate
                .status()
                .map(|s| s.as_str().to_string())
                .unwrap_or_default(),
            names,
            validation_records,
        }
    }

    // wait

    /// The error for a certificate that is not usable, naming it and listing the records that
    /// would validate it.
    fn not_issued(arn: &str, facts: &CertificateFacts, reason: Option<&str>) -> String {
        let mut message = format!(
            "certificate {arn} ({}) is {}",
            facts.names.join(", "),
            facts.status
        );
        if let Some(reason) = reason {
            message.push_str(&format!(" ({reason})"));
        }
        if facts.validation_records.is_empty() {
            message.push_str("; ACM has not published its DNS validation records yet");
        } else {
            message.push_str("; ACM issues it once these DNS validation records exist:");
            for (name, kind, value) in &facts.validation_records {
                message.push_str(&format!("\n  {name} {kind} {value}"));
            }
        }
        message
    }

    /// Polls until the certificate is `ISSUED`, for at most `limit`. A dead status fails at
    /// once; on expiry the error lists the validation records last seen, so the waiter takes
    /// the limit rather than leaving it to the caller.
    pub async fn wait_certificate_issued(
        client: &Client,
        arn: &str,
        limit: Duration,
    ) -> Result<(), AwsError> {
        let last_seen = Mutex::new(None::<CertificateFacts>);
        let issued = poll_until(|| async {
            let certificate =
                find_certificate_by_arn(client, arn)
                    .await?
                    .ok_or_else(|| AwsError::Api {
                        code: "CertificateNotFound".into(),
                        message: format!("certificate {arn} does not exist"),
                    })?;
            let facts = certificate_facts(&certificate);
            match certificate.status() {
                Some(CertificateStatus::Issued) => Ok(Poll::Ready(())),
                Some(CertificateStatus::PendingValidation) | None => {
                    if let Ok(mut last) = last_seen.lock() {
                        *last = Some(facts);
                    }
                    Ok(Poll::Pending)
                }
                Some(_) => {
                    let reason = certificate.failure_reason().map(|r| r.as_str());
                    Err(AwsError::Api {
                        code: "CertificateNotIssued".into(),
                        message: not_issued(arn, &facts, reason),
                    })
                }
            }
        });
        match within(limit, "", issued).await {
            Err(AwsError::WaitTimeout { .. }) => {
                let facts = last_seen.lock().ok().and_then(|last| last.clone());
                let what = match &facts {
                    Some(facts) => not_issued(arn, facts, None),
                    None => format!("certificate {arn} is not issued"),
                };
                Err(AwsError::WaitTimeout {
                    message: format!("{what} after waiting {}s", limit.as_secs()),
                })
            }
            other => other,
        }
    }

    // create, update, delete

    /// An ACM idempotency token from the owner and node tags and the requested names: a retried
    /// request within ACM's hour returns the same certificate, while a replacement with other
    /// names gets a new one. 32 hex characters (ACM allows `\w{1,32}`). FNV-1a written out,
    /// because std's hasher may change between Rust releases.
    pub fn idempotency_token(spec: &CertificateSpec) -> String {
        let mut text = String::new();
        for part in [TAG_OWNER, TAG_NODE]
            .iter()
            .map(|k| spec.tags.get(*k).map(String::as_str).unwrap_or_default())
            .chain(std::iter::once(spec.domain.as_str()))
            .chain(spec.alternative_names.iter().map(String::as_str))
        {
            text.push_str(part);
            text.push('\0');
        }
        let fnv = |mut hash: u64| {
            for byte in text.bytes() {
                hash ^= u64::from(byte);
                hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
            }
            hash
        };
        format!(
            "{:016x}{:016x}",
            fnv(0xcbf2_9ce4_8422_2325),
            fnv(0x8422_2325_cbf2_9ce4)
        )
    }

    /// Creates the object, or adopts one that already carries the spec's ownership tags. Returns
    /// the ledger ID. Does not wait for issuance.
    pub async fn create_certificate(
        client: &Client,
        spec: &CertificateSpec,
        ids: &IdMap,
    ) -> Result<String, AwsError> {
        if let Some((arn, found)) = find_owned(client, spec).await? {
            let current = CertificateSpec {
                tags: found,
                ..spec.clone()
            };
            return update_certificate(client, &arn, &current, spec, ids).await;
        }
        let names = (!spec.alternative_names.is_empty()).then(|| spec.alternative_names.clone());
        let out = client
            .request_certificate()
            .domain_name(&spec.domain)
            .set_subject_alternative_names(names)
            .validation_method(ValidationMethod::Dns)
            .idempotency_token(idempotency_token(spec))
            .set_tags(Some(tags::to_sdk(&spec.tags)?))
            .send()
            .await
            .map_err(classify)?;
        out.certificate_arn()
            .map(str::to_string)
            .ok_or_else(|| AwsError::unexpected("RequestCertificate returned no ARN"))
    }

    /// Brings the object with ledger ID `id` from `current` to `desired` in place: only tags can
    /// change (names force a new certificate). Returns the ledger ID.
    pub async fn update_certificate(
        client: &Client,
        id: &str,
        current: &CertificateSpec,
        desired: &CertificateSpec,
        ids: &IdMap,
    ) -> Result<String, AwsError> {
        let _ = ids;
        let (changed, removed) = tag_changes(&current.tags, &desired.tags);
        if !changed.is_empty() {
            client
                .add_tags_to_certificate()
                .certificate_arn(id)
                .set_tags(Some(tags::to_sdk(&changed)?))
                .send()
                .await
                .map_err(classify)?;
        }
        if !removed.is_empty() {
            // A key without a value removes the tag whatever its value.
            let keys = removed
                .iter()
                .map(|k| {
                    Tag::builder()
                        .key(k)
                        .build()
                        .map_err(|e| AwsError::unexpected(e.to_string()))
                })
                .collect::<Result<Vec<_>, _>>()?;
            client
                .remove_tags_from_certificate()
                .certificate_arn(id)
                .set_tags(Some(keys))
                .send()
                .await
                .map_err(classify)?;
        }
        Ok(id.to_string())
    }

    /// Deletes the object; absence is success. A certificate a listener still uses answers
    /// `ResourceInUseException`, classified as in use and retried by the engine while the
    /// listener goes.
    pub async fn delete_certificate(client: &Client, id: &str) -> Result<(), AwsError> {
        none_if_not_found(
            client
                .delete_certificate()
                .certificate_arn(id)
                .send()
                .await
                .map_err(classify),
        )?;
        Ok(())
    }

    // expand, flatten

    /// The subject alternative names other than `domain` (ACM lists the domain among them),
    /// sorted and deduplicated.
    fn other_names(certificate: &CertificateDetail, domain: &str) -> Vec<String> {
        let mut names: Vec<String> = certificate
            .subject_alternative_names()
            .iter()
            .filter(|n| !n.eq_ignore_ascii_case(domain))
            .cloned()
            .collect();
        names.sort();
        names.dedup();
        names
    }

    pub fn flatten_certificate(certificate: &CertificateDetail, tags: Tags) -> CertificateSpec {
        let domain = certificate.domain_name().unwrap_or_default().to_string();
        CertificateSpec {
            alternative_names: other_names(certificate, &domain),
            domain,
            tags,
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use aws_sdk_acm::types::{DomainValidation, RecordType, ResourceRecord};

        fn spec(domain: &str, names: &[&str]) -> CertificateSpec {
            let mut tags = Tags::new();
            tags.insert(TAG_OWNER.into(), "environment/test".into());
            tags.insert(TAG_NODE.into(), "acm.certificate".into());
            CertificateSpec {
                domain: domain.into(),
                alternative_names: names.iter().map(|n| n.to_string()).collect(),
                tags,
            }
        }

        #[test]
        fn idempotency_tokens_are_stable_short_alphanumeric_and_distinct() {
            let a = idempotency_token(&spec("example.com", &["www.example.com"]));
            assert_eq!(
                a,
                idempotency_token(&spec("example.com", &["www.example.com"]))
            );
            assert_eq!(a.len(), 32);
            assert!(a.chars().all(|c| c.is_ascii_alphanumeric()), "{a}");
            assert_ne!(a, idempotency_token(&spec("example.com", &[])));
            let mut other_owner = spec("example.com", &["www.example.com"]);
            other_owner
                .tags
                .insert(TAG_OWNER.into(), "environment/other".into());
            assert_ne!(a, idempotency_token(&other_owner));
        }

        fn record(name: &str) -> ResourceRecord {
            ResourceRecord::builder()
                .name(name)
                .r#type(RecordType::Cname)
                .value("_x.acm-validations.aws.")
                .build()
                .unwrap()
        }

        fn detail() -> CertificateDetail {
            let validation = |domain: &str, name: &str| {
                DomainValidation::builder()
                    .domain_name(domain)
                    .resource_record(record(name))
                    .build()
                    .unwrap()
            };
            CertificateDetail::builder()
                .domain_name("example.com")
                .subject_alternative_names("example.com")
                .subject_alternative_names("www.example.com")
                .subject_alternative_names("*.example.com")
                .status(CertificateStatus::Failed)
                .domain_validation_options(validation("example.com", "_a.example.com."))
                // The wildcard shares the apex's record.
                .domain_validation_options(validation("*.example.com", "_a.example.com."))
                .domain_validation_options(validation("www.example.com", "_b.www.example.com."))
                .build()
        }

        #[test]
        fn flatten_leaves_the_domain_out_of_the_other_names() {
            let spec = flatten_certificate(&detail(), Tags::new());
            assert_eq!(spec.domain, "example.com");
            assert_eq!(spec.alternative_names, ["*.example.com", "www.example.com"]);
        }

        #[test]
        fn facts_deduplicate_records_and_the_message_lists_them() {
            let facts = certificate_facts(&detail());
            assert_eq!(facts.status, "FAILED");
            assert_eq!(
                facts.names,
                ["example.com", "*.example.com", "www.example.com"]
            );
            assert_eq!(facts.validation_records.len(), 2);
            let message = not_issued("arn:cert", &facts, Some("CAA_ERROR"));
            assert!(message.contains("arn:cert"), "{message}");
            assert!(message.contains("FAILED (CAA_ERROR)"), "{message}");
            assert!(
                message.contains("_b.www.example.com. CNAME _x.acm-validations.aws."),
                "{message}"
            );
        }
    }
}
