//! `redact_url`: a store or broker URL as it may be shown in logs and errors, without its secrets.

/// Hides the credentials of a URL (a store's `postgres://…`, a broker's `nats://…`) before it is shown
/// anywhere: a password becomes `***` (`postgres://u:***@h/db`), and a user name given without a password
/// becomes `***` as well, since for NATS that is a token (`nats://***@h:4222`). Only the authority is looked
/// at, so an `@` in a path (`sqlite://dir/a@b.db`) is kept; a URL with no credentials is returned as it is.
/// String-based rather than `url::Url`, so that a URL too malformed to parse is still redacted.
pub fn redact_url(url: &str) -> String {
    let (scheme, rest) = match url.split_once("://") {
        Some((scheme, rest)) => (format!("{scheme}://"), rest),
        None => (String::new(), url),
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let Some((userinfo, host)) = authority.rsplit_once('@') else { return url.to_string() };
    let shown = match userinfo.split_once(':') {
        Some((user, _)) => format!("{user}:***"),
        None => "***".to_string(),
    };
    format!("{scheme}{shown}@{host}{tail}")
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn hides_passwords_and_tokens_in_the_authority_only() {
        let cases = [
            ("postgres://u:secret@h/db", "postgres://u:***@h/db"),
            ("postgres://u:p@ss@h:5432/db?sslmode=require", "postgres://u:***@h:5432/db?sslmode=require"),
            ("nats://s3cr3t@127.0.0.1:4222", "nats://***@127.0.0.1:4222"),
            ("nats://u:pw@a:4222", "nats://u:***@a:4222"),
            ("nats://127.0.0.1:4222", "nats://127.0.0.1:4222"),
            ("sqlite://a.db", "sqlite://a.db"),
            ("sqlite://dir/a@b.db", "sqlite://dir/a@b.db"),
            ("sqlite:data/x@y.db", "sqlite:data/x@y.db"),
            ("u:pw@host/db", "u:***@host/db"),
            ("not a url", "not a url"),
        ];
        for (url, shown) in cases {
            assert_eq!(redact_url(url), shown, "{url}");
        }
    }
}
