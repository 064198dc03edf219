//! Segmind's protocol facts the runtime needs beyond the endpoints: path
//! templates, header names, limits. Kept in one place so that nothing else
//! spells them.

use reqwest::Url;

use crate::error::Error;

/// The header that carries the key.
pub(crate) const API_KEY_HEADER: &str = "x-api-key";
/// The header Segmind sets on a 429 with the time the limit resets.
pub(crate) const RATE_LIMIT_RESET_HEADER: &str = "x-rate-limit-reset-at-utc";

/// A synchronous generation.
pub(crate) const SYNC_PATH: &str = "/v1/{slug}";
/// A queued submission.
pub(crate) const SUBMIT_PATH: &str = "/v2/{slug}";
/// A queued job's status.
pub(crate) const STATUS_PATH: &str = "/v2/requests/{request_id}/status";
/// A queued job's result.
pub(crate) const RESULT_PATH: &str = "/v2/requests/{request_id}";

/// `base` with `template`'s segments appended; a segment that is exactly
/// `{name}` takes the value of `name` in `vars`, percent-encoded as one
/// segment (a value cannot add segments).
pub(crate) fn url(base: &Url, template: &str, vars: &[(&str, &str)]) -> Result<Url, Error> {
    let mut url = base.clone();
    let mut segments = url
        .path_segments_mut()
        .map_err(|()| Error::Config("the base URL cannot take a path".into()))?;
    segments.pop_if_empty();
    for segment in template.split('/').filter(|s| !s.is_empty()) {
        let value = match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some(name) => vars
                .iter()
                .find(|(var, _)| *var == name)
                .map(|(_, value)| *value)
                .ok_or_else(|| Error::Config(format!("no value for {{{name}}} in {template}")))?,
            None => segment,
        };
        segments.push(value);
    }
    drop(segments);
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_expand_under_the_base_path() {
        let base = Url::parse("http://127.0.0.1:9/proxy").unwrap();
        let url = url(&base, STATUS_PATH, &[("request_id", "a b/c")]).unwrap();
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:9/proxy/v2/requests/a%20b%2Fc/status"
        );
        let root = Url::parse("https://api.segmind.com/").unwrap();
        assert_eq!(
            super::url(&root, SYNC_PATH, &[("slug", "ideogram-txt-2-img")])
                .unwrap()
                .as_str(),
            "https://api.segmind.com/v1/ideogram-txt-2-img"
        );
        assert!(super::url(&root, SYNC_PATH, &[]).is_err());
    }
}
