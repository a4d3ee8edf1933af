//! `operation_table!`: one declarative table per API surface (Garage's `router_match!` /
//! `admin_endpoints!` idea). A row names the operation and everything the pipeline needs to know
//! about it — the IAM action the authorizer decides on, the low-cardinality route for spans and
//! logs, what the action is performed on, whether the body is read before authorization or
//! streamed after it — and the handler. Adding an operation is one row, one match arm in the
//! surface's router, and its handler.

/// What an operation acts on; each surface turns it into the authorizer's resource using the
/// names its request carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ResourceKind {
    /// The S3 Control account named by `x-amz-account-id`.
    Account,
    /// Something the caller owns or will own (`ListBuckets`, `CreateBucket`, `ValidatePolicy`).
    CallerAccount,
    Bucket,
    Object,
    /// Only authenticated here: the handler authorises every object it touches with a request
    /// of its own (DeleteObjects). Never use it for a handler that does not.
    EachObject,
    /// An IAM user of the caller's account (`arn:aws:iam::{account}:user{path}{name}`): the one
    /// the request names, or the caller itself when an optional `UserName` is omitted.
    IamUser,
    /// `*`: an action with no resource type (`iam:ListUsers`).
    Everything,
    /// Authentication only (`sts:GetCallerIdentity`, which no policy can deny).
    Caller,
}

/// How the request body reaches the handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BodyKind {
    /// A small document (≤ [`crate::common::body::MAX_BODY`]) read and checked (`Content-MD5`,
    /// `x-amz-checksum-*`, `x-amz-content-sha256`) before the authorizer is asked: the payload
    /// hash it signs with may have to be computed from the body.
    Buffered,
    /// Object data: authorized on the headers, then streamed through the verifiers into storage
    /// by the handler; never held in memory.
    Streamed,
}

macro_rules! operation_table {
    (
        $(#[$meta:meta])*
        $vis:vis enum $Op:ident for $Req:ty {
            $(
                $Variant:ident {
                    action: $action:expr,
                    route: $route:expr,
                    resource: $resource:ident,
                    body: $body:ident,
                    handler: $handler:path $(,)?
                }
            ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        $vis enum $Op { $($Variant),+ }

        // Not every surface reads every column (Access Analyzer's one operation needs no
        // resource or body switch).
        #[allow(dead_code)]
        impl $Op {
            /// Every operation of the table, in table order.
            pub(crate) const ALL: &'static [$Op] = &[$($Op::$Variant),+];

            /// The AWS operation name (`aws.s3.operation` on the request span).
            pub(crate) fn name(self) -> &'static str {
                match self { $($Op::$Variant => stringify!($Variant)),+ }
            }
            /// The IAM action the authorizer decides on.
            pub(crate) fn action(self) -> &'static str {
                match self { $($Op::$Variant => $action),+ }
            }
            /// The route template (`{METHOD} {route}` span names).
            pub(crate) fn route(self) -> &'static str {
                match self { $($Op::$Variant => $route),+ }
            }
            pub(crate) fn resource(self) -> $crate::common::table::ResourceKind {
                match self { $($Op::$Variant => $crate::common::table::ResourceKind::$resource),+ }
            }
            pub(crate) fn body(self) -> $crate::common::table::BodyKind {
                match self { $($Op::$Variant => $crate::common::table::BodyKind::$body),+ }
            }
            /// Runs the operation's handler.
            pub(crate) async fn call(self, req: $Req) -> Result<axum::response::Response, mrap_model::ApiError> {
                match self { $($Op::$Variant => $handler(req).await),+ }
            }
        }
    };
}
