//! ELBv2 listener; the ledger ID is its ARN.
//!
//! An HTTPS listener needs its ACM certificate `ISSUED`. With an ACM client
//! (`create_listener_with`) create waits for that on DescribeCertificate and fails with the
//! DNS validation records; without one (`create_listener`, the executor's signature) it
//! retries CreateListener while ELBv2 rejects the certificate, within the same limit.

use serde::{Deserialize, Serialize};

use crate::aws::kind::{first_changed, KindSpec, Reference};
use crate::plan::node::{NodeKey, Tags};

/// A load balancer listener; its ledger ID is its ARN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListenerSpec {
    pub load_balancer: NodeKey,
    pub port: i32,
    /// `HTTP` or `HTTPS`.
    pub protocol: String,
    /// HTTPS only.
    pub ssl_policy: Option<String>,
    /// HTTPS only. An ACM certificate must be `ISSUED` before a listener can use it, so
    /// create waits for that (within the resource's timeouts).
    pub certificate: Option<CertificateSource>,
    pub default_action: ListenerDefault,
    pub tags: Tags,
}

/// Where a listener's certificate comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CertificateSource {
    /// Brought by the user (`certificate_arn`).
    Arn(String),
    /// Requested by this environment; a [`CertificateSpec`] child.
    Node(NodeKey),
}

/// What a listener does with requests no rule matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ListenerDefault {
    /// HTTP 301 to `https://#{host}:443/#{path}?#{query}`.
    RedirectToHttps,
    /// A fixed `404 Not Found` (services add rules in front of it).
    NotFound,
}

impl KindSpec for ListenerSpec {
    const PREFIX: &'static str = "elbv2.listener";
    const DISPLAY_NAME: &'static str = "ELBv2 Listener";
    // Creating the HTTPS listener first waits for the ACM certificate to be issued.
    const IAM_ACTIONS: &'static [&'static str] = &[
        "acm:DescribeCertificate",
        "elasticloadbalancing:AddTags",
        "elasticloadbalancing:CreateListener",
        "elasticloadbalancing:DeleteListener",
        "elasticloadbalancing:DescribeListeners",
        "elasticloadbalancing:DescribeTags",
        "elasticloadbalancing:ModifyListener",
        "elasticloadbalancing:RemoveTags",
    ];

    fn references(&self) -> Vec<Reference<'_>> {
        {
            let mut refs = vec![Reference::replace(&self.load_balancer)];
            if let Some(CertificateSource::Node(cert)) = &self.certificate {
                refs.push(Reference::update(cert));
            }
            refs
        }
    }

    fn tags(&self) -> Option<&Tags> {
        Some(&self.tags)
    }

    fn replaced_by(&self, d: &Self) -> Option<&'static str> {
        first_changed(&[
            ("load_balancer", self.load_balancer != d.load_balancer),
            ("port", self.port != d.port),
        ])
    }
}

#[cfg(feature = "sdk")]
pub use sdk::*;

#[cfg(feature = "sdk")]
mod sdk {
    use super::*;
    use std::future::Future;
    use std::time::Duration;

    use aws_sdk_elasticloadbalancingv2::types::{
        Action, ActionTypeEnum, Certificate, FixedResponseActionConfig, Listener, ProtocolEnum,
        RedirectActionConfig, RedirectActionStatusCodeEnum,
    };
    use aws_sdk_elasticloadbalancingv2::Client;

    use crate::apply::IdMap;
    use crate::aws::acm::certificate::wait_certificate_issued;
    use crate::aws::common::keys::key_of;
    use crate::aws::common::ownership::owned_by;
    use crate::aws::error::{classify, is_code, none_if_not_found, AwsError};
    use crate::plan::node::{Kind, Tags};

    use crate::aws::common::elbv2::{expand_tags, find_tags, sync_tags};

    /// DNS validation waits for the user's records; the listener's create timeout bounds it.
    const CERTIFICATE_TIMEOUT: Duration = Duration::from_secs(30 * 60);
    /// ELBv2 may not see a just-issued certificate for a while (`CertificateNotFound` or
    /// `UnsupportedCertificate`).
    const PROPAGATION_TIMEOUT: Duration = Duration::from_secs(120);
    const RETRY_START: Duration = Duration::from_secs(5);
    const RETRY_MAX: Duration = Duration::from_secs(60);

    /// A create that lost a race (or follows a crash): the port is taken, so adopt or refuse.
    const DUPLICATE_LISTENER: &str = "DuplicateListener";
    /// ELBv2's answers for a certificate it cannot use yet: not propagated, or not issued.
    const CERTIFICATE_NOT_FOUND: &str = "CertificateNotFound";
    const UNSUPPORTED_CERTIFICATE: &str = "UnsupportedCertificate";

    /// The default action's fixed response.
    const NOT_FOUND_STATUS: &str = "404";
    const NOT_FOUND_TYPE: &str = "text/plain";
    const NOT_FOUND_BODY: &str = "Not Found";

    // find

    pub async fn find_listener_by_arn(
        client: &Client,
        arn: &str,
    ) -> Result<Option<Listener>, AwsError> {
        let out = none_if_not_found(
            client
                .describe_listeners()
                .listener_arns(arn)
                .send()
                .await
                .map_err(classify),
        )?;
        Ok(out.and_then(|o| {
            o.listeners()
                .iter()
                .find(|l| l.listener_arn() == Some(arn))
                .cloned()
        }))
    }

    /// The listener on `port` of the load balancer; `None` when there is none or the load
    /// balancer is gone.
    pub async fn find_listener_on_port(
        client: &Client,
        load_balancer_arn: &str,
        port: i32,
    ) -> Result<Option<Listener>, AwsError> {
        let mut marker: Option<String> = None;
        loop {
            let Some(out) = none_if_not_found(
                client
                    .describe_listeners()
                    .load_balancer_arn(load_balancer_arn)
                    .set_marker(marker.take())
                    .send()
                    .await
                    .map_err(classify),
            )?
            else {
                return Ok(None);
            };
            if let Some(listener) = out.listeners().iter().find(|l| l.port() == Some(port)) {
                return Ok(Some(listener.clone()));
            }
            match out.next_marker() {
                Some(next) if !next.is_empty() => marker = Some(next.to_string()),
                _ => return Ok(None),
            }
        }
    }

    fn arn_of(listener: &Listener) -> Result<&str, AwsError> {
        listener
            .listener_arn()
            .ok_or_else(|| AwsError::unexpected("DescribeListeners returned no ARN"))
    }

    /// The listener on the spec's port with its tags; `None` when there is none.
    async fn read_listener_on_port(
        client: &Client,
        spec: &ListenerSpec,
        ids: &IdMap,
    ) -> Result<Option<(String, ListenerSpec)>, AwsError> {
        // No recorded load balancer: no listener of ours can exist yet.
        let Ok(lb_arn) = ids.id(&spec.load_balancer) else {
            return Ok(None);
        };
        let Some(listener) = find_listener_on_port(client, lb_arn, spec.port).await? else {
            return Ok(None);
        };
        let arn = arn_of(&listener)?.to_string();
        let Some(tags) = none_if_not_found(find_tags(client, &arn).await)? else {
            return Ok(None);
        };
        let found = flatten_listener(&listener, spec, tags, ids);
        Ok(Some((arn, found)))
    }

    /// The ledger ID of an existing object carrying the spec's ownership tags, without changing
    /// anything (import and discovery); `None` when there is none.
    pub async fn find_owned_listener(
        client: &Client,
        spec: &ListenerSpec,
        ids: &IdMap,
    ) -> Result<Option<String>, AwsError> {
        Ok(read_listener_on_port(client, spec, ids)
            .await?
            .filter(|(_, found)| owned_by(&found.tags, &spec.tags))
            .map(|(arn, _)| arn))
    }

    // wait

    /// True for an ARN of ACM (not IAM server certificates, which are always usable).
    pub fn is_acm_arn(arn: &str) -> bool {
        arn.split(':').nth(2) == Some("acm")
    }

    /// Runs `call`, retrying while ELBv2 answers one of `codes` about `certificate`, for at most
    /// `limit` with backoff. On giving up the error names the certificate.
    async fn with_certificate_retry<T, F, Fut>(
        limit: Duration,
        codes: &[&str],
        certificate: Option<&str>,
        mut call: F,
    ) -> Result<T, AwsError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, AwsError>>,
    {
        let deadline = tokio::time::Instant::now() + limit;
        let mut delay = RETRY_START;
        loop {
            match call().await {
                Err(e) if certificate.is_some() && codes.iter().any(|c| is_code(&e, c)) => {
                    let now = tokio::time::Instant::now();
                    if now >= deadline {
                        return Err(AwsError::WaitTimeout {
                            message: format!(
                            "certificate {} is still not usable by the listener after {}s ({e}); \
                             an ACM certificate must be ISSUED, which needs its DNS validation \
                             records (see the environment's outputs or \
                             `aws acm describe-certificate`)",
                            certificate.unwrap_or_default(),
                            limit.as_secs()
                        ),
                        });
                    }
                    tokio::time::sleep(delay.min(deadline - now)).await;
                    delay = (delay * 2).min(RETRY_MAX);
                }
                other => return other,
            }
        }
    }

    // create, update, delete

    /// The certificate ARN the spec asks for.
    fn certificate_arn(spec: &ListenerSpec, ids: &IdMap) -> Result<Option<String>, AwsError> {
        match &spec.certificate {
            None => Ok(None),
            Some(CertificateSource::Arn(arn)) => Ok(Some(arn.clone())),
            Some(CertificateSource::Node(key)) => ids
                .id(key)
                .map(|id| Some(id.to_string()))
                .map_err(|e| AwsError::unexpected(e.message)),
        }
    }

    /// Adopts the listener on the spec's port when it carries our ownership tags, reconciling it
    /// to the spec; refuses one someone else owns. `None` when the port is free.
    async fn adopt_listener(
        client: &Client,
        spec: &ListenerSpec,
        ids: &IdMap,
    ) -> Result<Option<String>, AwsError> {
        let Some((arn, current)) = read_listener_on_port(client, spec, ids).await? else {
            return Ok(None);
        };
        if !owned_by(&current.tags, &spec.tags) {
            return Err(AwsError::Api {
                code: "PortTaken".into(),
                message: format!(
                "port {} of load balancer {} has a listener this environment does not own ({arn})",
                spec.port, spec.load_balancer
            ),
            });
        }
        update_listener(client, &arn, &current, spec, ids)
            .await
            .map(Some)
    }

    /// Creates the object, or adopts one that already carries the spec's ownership tags. Returns
    /// the ledger ID. Without an ACM client, see the module docs.
    pub async fn create_listener(
        client: &Client,
        spec: &ListenerSpec,
        ids: &IdMap,
    ) -> Result<String, AwsError> {
        create_listener_with(client, None, spec, ids).await
    }

    /// `create_listener` that first waits (on `acm`) for an ACM certificate to be `ISSUED`, and
    /// fails with its DNS validation records when it is not.
    pub async fn create_listener_with(
        client: &Client,
        acm: Option<&aws_sdk_acm::Client>,
        spec: &ListenerSpec,
        ids: &IdMap,
    ) -> Result<String, AwsError> {
        if let Some(arn) = adopt_listener(client, spec, ids).await? {
            return Ok(arn);
        }
        let lb_arn = ids
            .id(&spec.load_balancer)
            .map_err(|e| AwsError::unexpected(e.message))?;
        let certificate = certificate_arn(spec, ids)?;
        let (limit, codes): (Duration, &[&str]) = match (acm, certificate.as_deref()) {
            (Some(acm), Some(arn)) if is_acm_arn(arn) => {
                wait_certificate_issued(acm, arn, CERTIFICATE_TIMEOUT).await?;
                // Issued, but ELBv2 may not accept it yet (either code, for a while).
                (
                    PROPAGATION_TIMEOUT,
                    &[CERTIFICATE_NOT_FOUND, UNSUPPORTED_CERTIFICATE],
                )
            }
            _ => (
                CERTIFICATE_TIMEOUT,
                &[CERTIFICATE_NOT_FOUND, UNSUPPORTED_CERTIFICATE],
            ),
        };
        let out = with_certificate_retry(limit, codes, certificate.as_deref(), || async {
            client
                .create_listener()
                .load_balancer_arn(lb_arn)
                .port(spec.port)
                .protocol(ProtocolEnum::from(spec.protocol.as_str()))
                .set_ssl_policy(spec.ssl_policy.clone())
                .set_certificates(expand_certificates(certificate.as_deref()))
                .default_actions(expand_default_action(spec.default_action))
                .set_tags(Some(expand_tags(&spec.tags)))
                .send()
                .await
                .map_err(classify)
        })
        .await;
        let out = match out {
            Ok(out) => out,
            Err(e) if is_code(&e, DUPLICATE_LISTENER) => {
                return adopt_listener(client, spec, ids).await?.ok_or_else(|| {
                    AwsError::unexpected("the listener's port is taken but no listener is found")
                });
            }
            Err(e) => return Err(e),
        };
        out.listeners()
            .first()
            .and_then(Listener::listener_arn)
            .map(str::to_string)
            .ok_or_else(|| AwsError::unexpected("CreateListener returned no ARN"))
    }

    /// Brings the object with ledger ID `id` from `current` to `desired` in place. Returns the
    /// ledger ID.
    pub async fn update_listener(
        client: &Client,
        id: &str,
        current: &ListenerSpec,
        desired: &ListenerSpec,
        ids: &IdMap,
    ) -> Result<String, AwsError> {
        if current.protocol != desired.protocol
            || current.ssl_policy != desired.ssl_policy
            || current.certificate != desired.certificate
            || current.default_action != desired.default_action
        {
            let certificate = certificate_arn(desired, ids)?;
            // A new certificate may not be usable yet, as on create.
            with_certificate_retry(
                CERTIFICATE_TIMEOUT,
                &[CERTIFICATE_NOT_FOUND, UNSUPPORTED_CERTIFICATE],
                certificate.as_deref(),
                || async {
                    client
                        .modify_listener()
                        .listener_arn(id)
                        .protocol(ProtocolEnum::from(desired.protocol.as_str()))
                        .set_ssl_policy(desired.ssl_policy.clone())
                        .set_certificates(expand_certificates(certificate.as_deref()))
                        .default_actions(expand_default_action(desired.default_action))
                        .send()
                        .await
                        .map_err(classify)
                },
            )
            .await?;
        }
        sync_tags(client, id, &current.tags, &desired.tags).await?;
        Ok(id.to_string())
    }

    /// Deletes the object; absence is success.
    pub async fn delete_listener(client: &Client, id: &str) -> Result<(), AwsError> {
        none_if_not_found(
            client
                .delete_listener()
                .listener_arn(id)
                .send()
                .await
                .map_err(classify),
        )?;
        Ok(())
    }

    /// Reads the object as it is now, with references turned back into node keys; `None` when it
    /// no longer exists.
    pub async fn observe_listener(
        client: &Client,
        id: &str,
        current: &ListenerSpec,
        ids: &IdMap,
    ) -> Result<Option<ListenerSpec>, AwsError> {
        let Some(listener) = find_listener_by_arn(client, id).await? else {
            return Ok(None);
        };
        let Some(tags) = none_if_not_found(find_tags(client, id).await)? else {
            return Ok(None);
        };
        Ok(Some(flatten_listener(&listener, current, tags, ids)))
    }

    // expand, flatten

    fn expand_certificates(arn: Option<&str>) -> Option<Vec<Certificate>> {
        arn.map(|a| vec![Certificate::builder().certificate_arn(a).build()])
    }

    pub fn expand_default_action(default: ListenerDefault) -> Action {
        match default {
            ListenerDefault::RedirectToHttps => Action::builder()
                .r#type(ActionTypeEnum::Redirect)
                .redirect_config(
                    RedirectActionConfig::builder()
                        .protocol("HTTPS")
                        .port("443")
                        .host("#{host}")
                        .path("/#{path}")
                        .query("#{query}")
                        .status_code(RedirectActionStatusCodeEnum::Http301)
                        .build(),
                )
                .build(),
            ListenerDefault::NotFound => Action::builder()
                .r#type(ActionTypeEnum::FixedResponse)
                .fixed_response_config(
                    FixedResponseActionConfig::builder()
                        .status_code(NOT_FOUND_STATUS)
                        .content_type(NOT_FOUND_TYPE)
                        .message_body(NOT_FOUND_BODY)
                        .build(),
                )
                .build(),
        }
    }

    /// The default action as the spec knows it. Anything else (another redirect, a forward, an
    /// authenticate chain) reads as the variant `current` is not, so it shows as a difference
    /// and an update puts ours back.
    pub fn flatten_default_action(actions: &[Action], current: ListenerDefault) -> ListenerDefault {
        let known = match actions {
            [action] => match action.r#type() {
                Some(ActionTypeEnum::Redirect) => action
                    .redirect_config()
                    .filter(|r| {
                        r.protocol()
                            .is_some_and(|p| p.eq_ignore_ascii_case("HTTPS"))
                            && r.port() == Some("443")
                            && r.status_code() == Some(&RedirectActionStatusCodeEnum::Http301)
                    })
                    .map(|_| ListenerDefault::RedirectToHttps),
                Some(ActionTypeEnum::FixedResponse) => action
                    .fixed_response_config()
                    .filter(|f| f.status_code() == Some(NOT_FOUND_STATUS))
                    .map(|_| ListenerDefault::NotFound),
                _ => None,
            },
            _ => None,
        };
        known.unwrap_or(match current {
            ListenerDefault::RedirectToHttps => ListenerDefault::NotFound,
            ListenerDefault::NotFound => ListenerDefault::RedirectToHttps,
        })
    }

    /// A certificate we requested reads as its node; any other ARN as itself.
    fn flatten_certificate(arn: &str, ids: &IdMap) -> CertificateSource {
        match ids.key_of(arn) {
            Some(key) if key.kind() == Some(Kind::Certificate) => {
                CertificateSource::Node(key.clone())
            }
            _ => CertificateSource::Arn(arn.to_string()),
        }
    }

    pub fn flatten_listener(
        listener: &Listener,
        current: &ListenerSpec,
        tags: Tags,
        ids: &IdMap,
    ) -> ListenerSpec {
        // DescribeListeners lists the default certificate only.
        let certificate = listener
            .certificates()
            .iter()
            .find(|c| c.is_default() != Some(false))
            .and_then(Certificate::certificate_arn)
            .map(|arn| flatten_certificate(arn, ids));
        let protocol = listener
            .protocol()
            .map(|p| p.as_str().to_string())
            .unwrap_or_default();
        // A security policy means something only where TLS terminates.
        let terminates_tls = protocol == "HTTPS" || protocol == "TLS";
        ListenerSpec {
            load_balancer: key_of(
                ids,
                Kind::LoadBalancer,
                listener.load_balancer_arn().unwrap_or_default(),
            ),
            port: listener.port().unwrap_or_default(),
            protocol,
            ssl_policy: listener
                .ssl_policy()
                .filter(|_| terminates_tls)
                .map(str::to_string),
            certificate,
            default_action: flatten_default_action(
                listener.default_actions(),
                current.default_action,
            ),
            tags,
        }
    }

    impl crate::aws::kind::AwsKind for ListenerSpec {
        async fn find(
            cx: &crate::aws::kind::Cx<'_>,
            spec: &Self,
        ) -> Result<Option<String>, AwsError> {
            find_owned_listener(&cx.clients.elbv2, spec, cx.ids).await
        }

        async fn observe(
            cx: &crate::aws::kind::Cx<'_>,
            id: &str,
            current: &Self,
        ) -> Result<Option<Self>, AwsError> {
            observe_listener(&cx.clients.elbv2, id, current, cx.ids).await
        }

        async fn create(cx: &crate::aws::kind::Cx<'_>, spec: &Self) -> Result<String, AwsError> {
            create_listener_with(&cx.clients.elbv2, Some(&cx.clients.acm), spec, cx.ids).await
        }

        async fn update(
            cx: &crate::aws::kind::Cx<'_>,
            id: &str,
            current: &Self,
            desired: &Self,
        ) -> Result<String, AwsError> {
            update_listener(&cx.clients.elbv2, id, current, desired, cx.ids).await
        }

        async fn delete(
            cx: &crate::aws::kind::Cx<'_>,
            id: &str,
            _current: &Self,
        ) -> Result<(), AwsError> {
            delete_listener(&cx.clients.elbv2, id).await
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use crate::aws::acm::certificate::CertificateSpec;
        use crate::plan::ledger::{Ledger, Recorded};
        use crate::plan::node::{ChildSpec, NodeKey};

        #[test]
        fn default_actions_round_trip() {
            for default in [ListenerDefault::RedirectToHttps, ListenerDefault::NotFound] {
                for current in [ListenerDefault::RedirectToHttps, ListenerDefault::NotFound] {
                    assert_eq!(
                        flatten_default_action(&[expand_default_action(default)], current),
                        default
                    );
                }
            }
        }

        #[test]
        fn a_foreign_default_action_reads_as_a_difference() {
            let forward = Action::builder()
                .r#type(ActionTypeEnum::Forward)
                .target_group_arn("arn:tg")
                .build();
            for current in [ListenerDefault::RedirectToHttps, ListenerDefault::NotFound] {
                assert_ne!(
                    flatten_default_action(std::slice::from_ref(&forward), current),
                    current
                );
                assert_ne!(flatten_default_action(&[], current), current);
            }
            let temporary = Action::builder()
                .r#type(ActionTypeEnum::Redirect)
                .redirect_config(
                    RedirectActionConfig::builder()
                        .protocol("HTTPS")
                        .port("443")
                        .status_code(RedirectActionStatusCodeEnum::Http302)
                        .build(),
                )
                .build();
            assert_eq!(
                flatten_default_action(&[temporary], ListenerDefault::RedirectToHttps),
                ListenerDefault::NotFound
            );
        }

        #[test]
        fn acm_arns_are_told_from_iam_ones() {
            assert!(is_acm_arn(
                "arn:aws:acm:us-east-1:123456789012:certificate/abc"
            ));
            assert!(!is_acm_arn(
                "arn:aws:iam::123456789012:server-certificate/x"
            ));
        }

        #[test]
        fn certificates_read_as_nodes_only_when_recorded_as_certificates() {
            let key = NodeKey::new(Kind::Certificate, &[]);
            let mut ledger = Ledger::new();
            ledger.children.insert(
                key.clone(),
                Recorded {
                    refs: Default::default(),
                    id: "arn:aws:acm:us-east-1:1:certificate/ours".into(),
                    observed: ChildSpec::Certificate(CertificateSpec {
                        domain: "example.com".into(),
                        alternative_names: vec![],
                        tags: Tags::new(),
                    }),
                },
            );
            let ids = IdMap::from_ledger(&ledger);
            assert_eq!(
                flatten_certificate("arn:aws:acm:us-east-1:1:certificate/ours", &ids),
                CertificateSource::Node(key)
            );
            assert_eq!(
                flatten_certificate("arn:aws:acm:us-east-1:1:certificate/theirs", &ids),
                CertificateSource::Arn("arn:aws:acm:us-east-1:1:certificate/theirs".into())
            );
        }
    }
}
