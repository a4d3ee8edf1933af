//! The request pipeline every API surface shares: request ids, Host parsing, the credential
//! scope's service, body limits and integrity checks, the authorizer round trip, XML helpers,
//! the error documents, and the operation-table macro each surface declares its operations with.

pub(crate) mod auth;
pub(crate) mod body;
pub(crate) mod checksum;
pub(crate) mod credential_scope;
pub(crate) mod error;
pub(crate) mod error_docs;
pub(crate) mod grants;
pub mod host;
pub(crate) mod public_access_block;
pub(crate) mod public_access_block_xml;
pub(crate) mod request_id;
#[macro_use]
pub(crate) mod table;
#[cfg(test)]
pub(crate) mod test_support;
pub(crate) mod xml;
