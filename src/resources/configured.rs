//! What every resource shares once the provider is configured: the AWS clients, the region,
//! the default tags, and the reads shared by all resources of an environment in this process.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use crate::aws::common::reads::{ReadScopes, Reads};
use crate::aws::AwsClients;
use crate::framework::diag::Diagnostic;

/// What resources need once the provider is configured.
pub struct Configured {
    pub clients: AwsClients,
    pub region: String,
    /// Merged under every resource's own `tags`.
    pub default_tags: BTreeMap<String, String>,
    /// Describe calls shared by every resource of an environment for the life of this provider
    /// process (one Terraform command), dropped when an apply changes the environment.
    reads: ReadScopes,
}

impl Configured {
    pub fn new(
        clients: AwsClients,
        region: String,
        default_tags: BTreeMap<String, String>,
    ) -> Configured {
        Configured {
            clients,
            region,
            default_tags,
            reads: ReadScopes::new(),
        }
    }

    /// The reads shared by every resource of environment `name`.
    pub fn reads(&self, environment: &str) -> Arc<Reads> {
        self.reads.of(environment)
    }

    /// Forgets what was read of environment `name`: its objects just changed.
    pub fn changed(&self, environment: &str) {
        self.reads.invalidate(environment);
    }
}

/// Shared between the provider and its resources; set by ConfigureProvider.
#[derive(Default, Clone)]
pub struct ConfiguredSlot(Arc<RwLock<Option<Arc<Configured>>>>);

impl ConfiguredSlot {
    /// The configured clients, or a diagnostic explaining why there are none.
    pub fn get(&self) -> Result<Arc<Configured>, Diagnostic> {
        self.0
            .read()
            .ok()
            .and_then(|slot| slot.clone())
            .ok_or_else(|| {
                Diagnostic::error(
                    "Provider not configured",
                    "The platform provider was not configured before this call. This happens when the provider block depends on values known only after apply; make them known at plan time.",
                )
            })
    }

    pub fn set(&self, configured: Configured) {
        if let Ok(mut slot) = self.0.write() {
            *slot = Some(Arc::new(configured));
        }
    }
}
