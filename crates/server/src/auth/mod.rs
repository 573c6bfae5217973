//! API keys: their text format, generation, rotation, scopes, rate limits, and the middleware that checks
//! them on each request.

mod keys;
mod middleware;
mod origin;
mod rate;

pub use keys::{
    INBOUND_SCOPE_PREFIX, KeyError, SCOPES, grants, hash_secret, inbound_scope, is_known_scope, new_key, new_secret,
    parse_key, validate_scopes, verify_key,
};
pub use middleware::{Actor, KeyCache, authenticate, presents_key, require_scope};
pub use origin::request_origin;
pub use rate::{KeyRateLimits, retry_after_secs};
