//! Inline user policies: `PutUserPolicy`, `GetUserPolicy`, `ListUserPolicies`,
//! `DeleteUserPolicy`. The store validates documents (`MalformedPolicyDocument`) and the user's
//! inline quota (`LimitExceeded`); reads come from the user record looked up for authorization.

use axum::response::Response;
use mrap_model::{ApiError, ErrorCode};
use mrap_proto::store;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use super::{IamRequest, Target, no_such_user};
use crate::query::params::{Checker, DOCUMENT_PATTERN};

/// RFC 3986 unreserved characters stay; every other byte is `%XX` (so `%` is `%25` and a
/// document holding `%3A` round-trips through botocore's `unquote`).
const DOCUMENT_ESCAPES: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// `GetUserPolicy`'s `PolicyDocument` as IAM sends it.
pub(crate) fn encode_document(document: &str) -> String {
    utf8_percent_encode(document, DOCUMENT_ESCAPES).to_string()
}

/// `UserName` and `PolicyName`, both 1–128 of `[\w+=,.@-]`.
fn names(c: &mut Checker, req: &IamRequest<'_>) -> (String, String) {
    let user = c.required_name(req.params(), "UserName", "userName", 128);
    let policy = c.required_name(req.params(), "PolicyName", "policyName", 128);
    (user, policy)
}

fn no_such_policy(user: &str, policy: &str) -> ApiError {
    ApiError::new(
        ErrorCode::NoSuchEntity,
        format!("The user policy with name {policy} cannot be found for user {user}."),
    )
}

pub(crate) async fn put(req: IamRequest<'_>) -> Result<Response, ApiError> {
    let mut c = Checker::default();
    let (user, policy_name) = names(&mut c, &req);
    let document = c
        .required(req.params(), "PolicyDocument", "policyDocument")
        .to_owned();
    if req.params().get("PolicyDocument").is_some()
        && c.length(&document, "policyDocument", 1, 131_072)
    {
        c.pattern(&document, "policyDocument", DOCUMENT_PATTERN, |v| {
            v.chars()
                .all(|c| matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{ff}'))
        });
    }
    c.finish()?;
    let auth = req.authorize(Target::User(&user)).await?;
    req.ctx
        .state
        .store(&store::PutUserPolicy {
            account: auth.grant.account,
            user,
            policy_name,
            document,
        })
        .await?;
    Ok(req.reply(None))
}

pub(crate) async fn get(req: IamRequest<'_>) -> Result<Response, ApiError> {
    let mut c = Checker::default();
    let (user, policy_name) = names(&mut c, &req);
    c.finish()?;
    let auth = req.authorize(Target::User(&user)).await?;
    let record = auth.user.ok_or_else(|| no_such_user(&user))?;
    let document = record
        .policies
        .get(&policy_name)
        .ok_or_else(|| no_such_policy(&record.name, &policy_name))?;
    Ok(req.reply(Some(&|x| {
        x.leaf("UserName", &record.name)
            .leaf("PolicyName", &policy_name)
            .leaf("PolicyDocument", &encode_document(document));
    })))
}

/// Sorted by name; the marker is the name to resume at.
pub(crate) async fn list(req: IamRequest<'_>) -> Result<Response, ApiError> {
    let mut c = Checker::default();
    let user = c.required_name(req.params(), "UserName", "userName", 128);
    let page = c.page(req.params());
    c.finish()?;
    let auth = req.authorize(Target::User(&user)).await?;
    let record = auth.user.ok_or_else(|| no_such_user(&user))?;
    let names: Vec<String> = record.policies.keys().cloned().collect();
    let (names, next) = page.take(names, String::clone);
    Ok(req.reply(Some(&|x| {
        x.list("PolicyNames", &names, |x, n| {
            x.text(n);
        })
        .truncation(next.as_deref());
    })))
}

pub(crate) async fn delete(req: IamRequest<'_>) -> Result<Response, ApiError> {
    let mut c = Checker::default();
    let (user, policy_name) = names(&mut c, &req);
    c.finish()?;
    let auth = req.authorize(Target::User(&user)).await?;
    req.ctx
        .state
        .store(&store::DeleteUserPolicy {
            account: auth.grant.account,
            user,
            policy_name,
        })
        .await?;
    Ok(req.reply(None))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_are_encoded_as_rfc_3986() {
        assert_eq!(
            encode_document(r#"{"Resource": "arn:aws:s3:::b/a%3Ab ~x_y-z.w"}"#),
            "%7B%22Resource%22%3A%20%22arn%3Aaws%3As3%3A%3A%3Ab%2Fa%253Ab%20~x_y-z.w%22%7D"
        );
        assert_eq!(encode_document("é\n"), "%C3%A9%0A");
    }
}
