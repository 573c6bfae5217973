//! API keys: their text format, generation, scopes, and the middleware that checks them on each request.

mod keys;
mod middleware;
mod origin;

pub use keys::{KeyError, SCOPES, grants, hash_secret, new_key, parse_key, validate_scopes, verify_key};
pub use middleware::{Actor, KeyCache, authenticate, require_scope};
pub use origin::request_origin;
