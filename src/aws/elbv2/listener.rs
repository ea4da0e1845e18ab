//! ELBv2 listener; the ledger ID is its ARN.
//!
//! An HTTPS listener needs its ACM certificate `ISSUED`. With an ACM client
//! (`create_listener_with`, what the executor calls) create waits for that on
//! DescribeCertificate and fails with the DNS validation records; without one
//! (`create_listener`) it retries CreateListener while ELBv2 rejects the certificate, within
//! the same limit.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::aws::kind::{first_changed, KindSpec, Reference};
use crate::plan::node::{Node, NodeKey, Tags};

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

    fn hourly_charge(&self, _graph: &BTreeMap<NodeKey, Node>) -> Option<(&'static str, f64)> {
        None
    }
}

#[cfg(feature = "sdk")]
pub use sdk::*;

#[cfg(feature = "sdk")]
mod sdk {
    use std::future::Future;
    use std::sync::Mutex;
    use std::time::Duration;

    use aws_sdk_elasticloadbalancingv2::types::{
        Action, ActionTypeEnum, Certificate, FixedResponseActionConfig, Listener, ProtocolEnum,
        RedirectActionConfig, RedirectActionStatusCodeEnum,
    };
    use aws_sdk_elasticloadbalancingv2::Client;

    use super::*;
    use crate::apply::IdMap;
    use crate::aws::acm::certificate::wait_certificate_issued;
    use crate::aws::common::elbv2::{describe_tags, describe_tags_of, sync_tags};
    use crate::aws::common::keys::key_of;
    use crate::aws::common::ownership::{adopt_or_create, owned_by, Found};
    use crate::aws::common::poll::{poll_until, within, Poll};
    use crate::aws::common::tags;
    use crate::aws::error::{classify, is_code, none_if_not_found, AwsError};
    use crate::aws::kind::{AwsKind, Cx};
    use crate::plan::node::Kind;

    impl AwsKind for ListenerSpec {
        async fn find(cx: &Cx<'_>, spec: &Self) -> Result<Option<String>, AwsError> {
            find_owned_listener(&cx.clients.elbv2, spec, cx.ids).await
        }

        /// Every listener of the load balancer in one listing and their tags in one more call,
        /// shared by all children that observe one.
        async fn observe(cx: &Cx<'_>, id: &str, current: &Self) -> Result<Option<Self>, AwsError> {
            let client = &cx.clients.elbv2;
            let Ok(lb_arn) = cx.ids.id(&current.load_balancer) else {
                return observe_listener_by_arn(client, id, current, cx.ids).await;
            };
            let scope = format!("elbv2.listener/load_balancer/{lb_arn}");
            let listeners = cx
                .reads
                .get(&scope, || list_listeners(client, lb_arn))
                .await?;
            let Some(listener) = listeners.iter().find(|l| l.listener_arn() == Some(id)) else {
                return Ok(None);
            };
            let tags = cx
                .reads
                .get(&format!("{scope}/tags"), || async {
                    let arns: Vec<String> = listeners
                        .iter()
                        .filter_map(|l| l.listener_arn().map(str::to_string))
                        .collect();
                    describe_tags(client, &arns).await
                })
                .await?;
            Ok(tags
                .get(id)
                .map(|tags| flatten_listener(listener, current, tags.clone(), cx.ids)))
        }

        async fn create(cx: &Cx<'_>, spec: &Self) -> Result<String, AwsError> {
            create_listener_with(&cx.clients.elbv2, Some(&cx.clients.acm), spec, cx.ids).await
        }

        async fn update(
            cx: &Cx<'_>,
            id: &str,
            current: &Self,
            desired: &Self,
        ) -> Result<String, AwsError> {
            update_listener(&cx.clients.elbv2, id, current, desired, cx.ids).await
        }

        async fn delete(cx: &Cx<'_>, id: &str, _current: &Self) -> Result<(), AwsError> {
            delete_listener(&cx.clients.elbv2, id).await
        }
    }

    /// DNS validation waits for the user's records; the listener's create timeout bounds it.
    const CERTIFICATE_TIMEOUT: Duration = Duration::from_secs(30 * 60);
    /// ELBv2 may not see a just-issued certificate for a while (`CertificateNotFound` or
    /// `UnsupportedCertificate`).
    const PROPAGATION_TIMEOUT: Duration = Duration::from_secs(120);

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

    /// Every listener of the load balancer; empty when the load balancer is gone.
    pub async fn list_listeners(
        client: &Client,
        load_balancer_arn: &str,
    ) -> Result<Vec<Listener>, AwsError> {
        let mut pages = client
            .describe_listeners()
            .load_balancer_arn(load_balancer_arn)
            .into_paginator()
            .send();
        let mut listeners = Vec::new();
        while let Some(page) = pages.next().await {
            let Some(page) = none_if_not_found(page.map_err(classify))? else {
                return Ok(Vec::new());
            };
            listeners.extend(page.listeners().iter().cloned());
        }
        Ok(listeners)
    }

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

    /// The listener on the spec's port with its tags; `None` when there is none (or no load
    /// balancer is recorded yet). Asks AWS directly, for adoption.
    async fn read_listener_on_port(
        client: &Client,
        spec: &ListenerSpec,
        ids: &IdMap,
    ) -> Result<Option<Found<ListenerSpec>>, AwsError> {
        let Ok(lb_arn) = ids.id(&spec.load_balancer) else {
            return Ok(None);
        };
        let listeners = list_listeners(client, lb_arn).await?;
        let Some(listener) = listeners.iter().find(|l| l.port() == Some(spec.port)) else {
            return Ok(None);
        };
        let arn = listener
            .listener_arn()
            .ok_or_else(|| AwsError::unexpected("DescribeListeners returned no ARN"))?;
        let Some(tags) = describe_tags_of(client, arn).await? else {
            return Ok(None);
        };
        Ok(Some(Found {
            id: arn.to_string(),
            current: flatten_listener(listener, spec, tags.clone(), ids),
            tags,
        }))
    }

    /// The ledger ID of the listener on the spec's port carrying its ownership tags, without
    /// changing anything (import and discovery); `None` when there is none.
    pub async fn find_owned_listener(
        client: &Client,
        spec: &ListenerSpec,
        ids: &IdMap,
    ) -> Result<Option<String>, AwsError> {
        Ok(read_listener_on_port(client, spec, ids)
            .await?
            .filter(|found| owned_by(&found.tags, &spec.tags))
            .map(|found| found.id))
    }

    /// The listener by its own ARN, for a listener whose load balancer is not recorded.
    async fn observe_listener_by_arn(
        client: &Client,
        id: &str,
        current: &ListenerSpec,
        ids: &IdMap,
    ) -> Result<Option<ListenerSpec>, AwsError> {
        let Some(listener) = find_listener_by_arn(client, id).await? else {
            return Ok(None);
        };
        let Some(tags) = describe_tags_of(client, id).await? else {
            return Ok(None);
        };
        Ok(Some(flatten_listener(&listener, current, tags, ids)))
    }

    // wait

    /// True for an ARN of ACM (not IAM server certificates, which are always usable).
    pub fn is_acm_arn(arn: &str) -> bool {
        arn.split(':').nth(2) == Some("acm")
    }

    fn is_unusable_certificate(error: &AwsError) -> bool {
        is_code(error, CERTIFICATE_NOT_FOUND) || is_code(error, UNSUPPORTED_CERTIFICATE)
    }

    /// Runs `call`, retrying while ELBv2 cannot use `certificate` yet, for at most `limit`. On
    /// giving up the error names the certificate and ELBv2's last answer.
    async fn with_certificate_retry<T, F, Fut>(
        limit: Duration,
        certificate: Option<&str>,
        mut call: F,
    ) -> Result<T, AwsError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, AwsError>>,
    {
        let Some(certificate) = certificate else {
            return call().await;
        };
        let last_refusal = Mutex::new(None::<AwsError>);
        let accepted = poll_until(|| {
            let attempt = call();
            let last_refusal = &last_refusal;
            async move {
                match attempt.await {
                    Err(e) if is_unusable_certificate(&e) => {
                        if let Ok(mut last) = last_refusal.lock() {
                            *last = Some(e);
                        }
                        Ok(Poll::Pending)
                    }
                    other => other.map(Poll::Ready),
                }
            }
        });
        match within(limit, "", accepted).await {
            Err(AwsError::WaitTimeout { .. }) => {
                let last = last_refusal
                    .lock()
                    .ok()
                    .and_then(|last| last.as_ref().map(ToString::to_string))
                    .unwrap_or_default();
                Err(AwsError::WaitTimeout {
                    message: format!(
                        "certificate {certificate} is still not usable by the listener after \
                         {}s ({last}); an ACM certificate must be ISSUED, which needs its DNS \
                         validation records (see the environment's outputs or \
                         `aws acm describe-certificate`)",
                        limit.as_secs()
                    ),
                })
            }
            other => other,
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

    /// Creates the listener. Without an ACM client, see the module docs.
    pub async fn create_listener(
        client: &Client,
        spec: &ListenerSpec,
        ids: &IdMap,
    ) -> Result<String, AwsError> {
        create_listener_with(client, None, spec, ids).await
    }

    /// Creates the listener, or adopts the one on its port when it carries the spec's
    /// ownership tags (refusing one someone else owns). With `acm`, first waits for an ACM
    /// certificate to be `ISSUED`, failing with its DNS validation records when it is not.
    /// Returns the ledger ID.
    pub async fn create_listener_with(
        client: &Client,
        acm: Option<&aws_sdk_acm::Client>,
        spec: &ListenerSpec,
        ids: &IdMap,
    ) -> Result<String, AwsError> {
        // A listener has no name: its port on the load balancer is what a second one collides on.
        let lookup = || async {
            match read_listener_on_port(client, spec, ids).await? {
                Some(found) if !owned_by(&found.tags, &spec.tags) => Err(AwsError::Api {
                    code: "PortTaken".into(),
                    message: format!(
                        "port {} of load balancer {} has a listener this environment does not \
                         own ({})",
                        spec.port, spec.load_balancer, found.id
                    ),
                }),
                found => Ok(found),
            }
        };
        adopt_or_create(
            "listener",
            &format!("port {}", spec.port),
            &spec.tags,
            &[DUPLICATE_LISTENER],
            lookup,
            |found| async move {
                update_listener(client, &found.id, &found.current, spec, ids).await
            },
            || create_new_listener(client, acm, spec, ids),
        )
        .await
    }

    async fn create_new_listener(
        client: &Client,
        acm: Option<&aws_sdk_acm::Client>,
        spec: &ListenerSpec,
        ids: &IdMap,
    ) -> Result<String, AwsError> {
        let lb_arn = ids
            .id(&spec.load_balancer)
            .map_err(|e| AwsError::unexpected(e.message))?;
        let certificate = certificate_arn(spec, ids)?;
        let limit = match (acm, certificate.as_deref()) {
            (Some(acm), Some(arn)) if is_acm_arn(arn) => {
                wait_certificate_issued(acm, arn, CERTIFICATE_TIMEOUT).await?;
                // Issued, but ELBv2 may not accept it yet.
                PROPAGATION_TIMEOUT
            }
            _ => CERTIFICATE_TIMEOUT,
        };
        let tags = tags::to_sdk(&spec.tags)?;
        let out = with_certificate_retry(limit, certificate.as_deref(), || async {
            client
                .create_listener()
                .load_balancer_arn(lb_arn)
                .port(spec.port)
                .protocol(ProtocolEnum::from(spec.protocol.as_str()))
                .set_ssl_policy(spec.ssl_policy.clone())
                .set_certificates(expand_certificates(certificate.as_deref()))
                .default_actions(expand_default_action(spec.default_action))
                .set_tags(Some(tags.clone()))
                .send()
                .await
                .map_err(classify)
        })
        .await?;
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
            with_certificate_retry(CERTIFICATE_TIMEOUT, certificate.as_deref(), || async {
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
            })
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
