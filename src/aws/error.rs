//! AWS errors, classified once from the error code and HTTP status.

#[cfg(feature = "sdk")]
use aws_sdk_ec2::error::{ProvideErrorMetadata, SdkError};

use crate::apply::{ErrorKind, StepError};

/// Codes meaning "this object does not exist", across the kinds we manage.
const NOT_FOUND_CODES: &[&str] = &[
    "InvalidVpcID.NotFound",
    "InvalidSubnetID.NotFound",
    "InvalidInternetGatewayID.NotFound",
    "NatGatewayNotFound",
    "InvalidNatGatewayID.NotFound",
    "InvalidAllocationID.NotFound",
    "InvalidRouteTableID.NotFound",
    "InvalidAssociationID.NotFound",
    "InvalidRoute.NotFound",
    "InvalidNetworkInterfaceID.NotFound",
    "InvalidGroup.NotFound",
    "InvalidPermission.NotFound",
    "InvalidSecurityGroupRuleId.NotFound",
    "InvalidVpcEndpointId.NotFound",
    "InvalidFlowLogId.NotFound",
    "ResourceNotFoundException",
    "NoSuchEntity",
    "NoSuchDistribution",
    "NoSuchOriginAccessControl",
    "ClusterNotFoundException",
    "DBSubnetGroupNotFoundFault",
    "CacheSubnetGroupNotFoundFault",
    "LoadBalancerNotFound",
    "ListenerNotFound",
    "TargetGroupNotFound",
    "RuleNotFound",
    "ServiceNotFoundException",
    "DBInstanceNotFound",
    "DBInstanceNotFoundFault",
    "DBParameterGroupNotFound",
    "DBParameterGroupNotFoundFault",
    "ReplicationGroupNotFoundFault",
    "CacheClusterNotFound",
    "CacheClusterNotFoundFault",
    "ObjectNotFoundException",
    "NamespaceNotFound",
    "OperationNotFound",
    // SNS, and SQS in its JSON and query protocols.
    "NotFound",
    "QueueDoesNotExist",
    "AWS.SimpleQueueService.NonExistentQueue",
];

/// Codes meaning "something still uses this object": retried during deletes.
const IN_USE_CODES: &[&str] = &[
    "DependencyViolation",
    "InvalidIPAddress.InUse",
    "ResourceInUse",
    "DeleteConflict",
    "ClusterContainsServicesException",
    "ClusterContainsTasksException",
    "ClusterContainsContainerInstancesException",
    "InvalidDBSubnetGroupStateFault",
    "CacheSubnetGroupInUse",
    "ResourceInUseException",
    "ClusterContainsCapacityProviderException",
    // Another change to the same object is still in progress (ECS, IAM, Logs): retry.
    "UpdateInProgressException",
    "ConcurrentModification",
    "ConcurrentUpdateException",
    "OperationAbortedException",
    // An RDS instance or ElastiCache group busy with an earlier change.
    "InvalidDBInstanceState",
    "InvalidDBInstanceStateFault",
    "InvalidDBParameterGroupState",
    "InvalidDBParameterGroupStateFault",
    "InvalidReplicationGroupState",
    "InvalidReplicationGroupStateFault",
    // DeleteNetworkInterface on an ENI that got attached since we described it.
    "InvalidNetworkInterface.InUse",
];

const THROTTLING_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "RequestLimitExceeded",
    "TooManyRequestsException",
    "RequestThrottled",
    "SlowDown",
];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AwsError {
    #[error("not found ({code})")]
    NotFound { code: String },
    #[error("throttled by AWS ({code})")]
    Throttled { code: String },
    #[error("transient AWS error: {message}")]
    Transient { message: String },
    #[error("dependency violation: {message}")]
    DependencyViolation { message: String },
    #[error("not yet propagated: {message}")]
    NotYetPropagated { message: String },
    #[error("gave up waiting: {message}")]
    WaitTimeout { message: String },
    #[error("{code}: {message}")]
    Api { code: String, message: String },
}

impl AwsError {
    pub fn is_not_found(&self) -> bool {
        matches!(self, AwsError::NotFound { .. })
    }

    /// An API answer that broke our expectations (a missing field), not an AWS error.
    pub fn unexpected(message: impl Into<String>) -> AwsError {
        AwsError::Api {
            code: "UnexpectedResponse".into(),
            message: message.into(),
        }
    }

    /// Classifies a code and message as AWS returned them.
    pub fn from_code(code: &str, message: &str, status: Option<u16>) -> AwsError {
        let message = message.to_string();
        if NOT_FOUND_CODES.contains(&code) || code.ends_with(".NotFound") {
            AwsError::NotFound {
                code: code.to_string(),
            }
        } else if THROTTLING_CODES.contains(&code) || status == Some(429) {
            AwsError::Throttled {
                code: code.to_string(),
            }
        } else if IN_USE_CODES.contains(&code) {
            AwsError::DependencyViolation {
                message: format!("{code}: {message}"),
            }
        } else if (code == "InvalidParameterValue" || code == "ValidationException")
            && message.contains("role")
            && message.contains("assume")
        {
            // A role created moments ago that the service cannot assume yet (ECS, EventBridge
            // Scheduler's "must allow AWS EventBridge Scheduler to assume the role").
            AwsError::NotYetPropagated { message }
        } else if status.is_some_and(|s| s >= 500)
            || code == "InternalError"
            || code == "ServiceUnavailable"
            || code == "Unavailable"
        {
            AwsError::Transient {
                message: format!("{code}: {message}"),
            }
        } else {
            AwsError::Api {
                code: code.to_string(),
                message,
            }
        }
    }
}

/// `Ok(None)` for NotFound, so finds never fail on absence.
pub fn none_if_not_found<T>(result: Result<T, AwsError>) -> Result<Option<T>, AwsError> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

/// True when `error` is the AWS error `code`.
pub fn is_code(error: &AwsError, code: &str) -> bool {
    matches!(error, AwsError::Api { code: c, .. } if c == code)
}

/// Classifies any SDK error.
#[cfg(feature = "sdk")]
pub fn classify<E>(error: SdkError<E, aws_smithy_runtime_api::http::Response>) -> AwsError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let status = error.raw_response().map(|r| r.status().as_u16());
    match &error {
        SdkError::ServiceError(service) => {
            let e = service.err();
            AwsError::from_code(
                e.code().unwrap_or("Unknown"),
                e.message().unwrap_or_default(),
                status,
            )
        }
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            AwsError::Transient {
                message: aws_smithy_types::error::display::DisplayErrorContext(&error).to_string(),
            }
        }
        _ => match error.code() {
            Some(code) => AwsError::from_code(code, error.message().unwrap_or_default(), status),
            None => AwsError::Api {
                code: "SdkError".into(),
                message: aws_smithy_types::error::display::DisplayErrorContext(&error).to_string(),
            },
        },
    }
}

impl From<AwsError> for StepError {
    fn from(error: AwsError) -> StepError {
        let kind = match &error {
            AwsError::NotFound { .. } | AwsError::Api { .. } => ErrorKind::Permanent,
            AwsError::Throttled { .. } => ErrorKind::Throttled,
            AwsError::Transient { .. } => ErrorKind::Transient,
            AwsError::DependencyViolation { .. } => ErrorKind::DependencyViolation,
            AwsError::NotYetPropagated { .. } => ErrorKind::NotYetPropagated,
            AwsError::WaitTimeout { .. } => ErrorKind::Timeout,
        };
        StepError::new(kind, error.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification() {
        assert!(AwsError::from_code("InvalidVpcID.NotFound", "", Some(400)).is_not_found());
        assert!(AwsError::from_code("InvalidSomething.NotFound", "", Some(400)).is_not_found());
        assert!(matches!(
            AwsError::from_code("RequestLimitExceeded", "", Some(503)),
            AwsError::Throttled { .. }
        ));
        assert!(matches!(
            AwsError::from_code("X", "", Some(429)),
            AwsError::Throttled { .. }
        ));
        assert!(matches!(
            AwsError::from_code("DependencyViolation", "in use", Some(400)),
            AwsError::DependencyViolation { .. }
        ));
        assert!(matches!(
            AwsError::from_code("InternalError", "", Some(500)),
            AwsError::Transient { .. }
        ));
        assert!(matches!(
            AwsError::from_code("Unknown", "", Some(503)),
            AwsError::Transient { .. }
        ));
        assert!(matches!(
            AwsError::from_code("InvalidParameterValue", "bad", Some(400)),
            AwsError::Api { .. }
        ));
        // A role EventBridge Scheduler cannot assume yet, moments after its creation: retried.
        let step: StepError = AwsError::from_code(
            "ValidationException",
            "The execution role you provide must allow AWS EventBridge Scheduler to assume the role.",
            Some(400),
        )
        .into();
        assert!(step.is_retryable());
        assert!(matches!(
            AwsError::from_code(
                "ValidationException",
                "Invalid Schedule Expression",
                Some(400)
            ),
            AwsError::Api { .. }
        ));
        let step: StepError = AwsError::from_code("DependencyViolation", "x", None).into();
        assert!(step.is_retryable());
        let step: StepError = AwsError::from_code("InvalidParameterValue", "x", None).into();
        assert!(!step.is_retryable());
    }
}
