//! URLs of the protocol's operations, from the path templates the spec
//! generates into [`API`](crate::API) and [`EndpointInfo`](crate::EndpointInfo),
//! and the one check a job id gets: that it is one safe path segment (ids
//! are opaque: captures show 32 hex digits, the docs UUIDs).

use reqwest::Url;

use crate::endpoint::Operation;
use crate::error::Error;

/// The longest job id accepted.
const MAX_JOB_ID_LEN: usize = 256;

/// `Ok` when `id` can be put in a URL as one path segment: not empty, not
/// `.` or `..`, no `/ ? # %`, whitespace or control characters, and at most
/// 256 bytes.
pub(crate) fn check_job_id(id: &str) -> Result<(), Error> {
    let reason = if id.is_empty() {
        "it is empty"
    } else if id == "." || id == ".." {
        "it is a path step"
    } else if id.len() > MAX_JOB_ID_LEN {
        "it is longer than 256 bytes"
    } else if id.contains(['/', '?', '#', '%']) {
        "it contains `/`, `?`, `#` or `%`"
    } else if id.chars().any(|c| c.is_whitespace() || c.is_control()) {
        "it contains whitespace or a control character"
    } else {
        return Ok(());
    };
    Err(Error::InvalidJobId {
        id: id.chars().take(MAX_JOB_ID_LEN).collect(),
        reason,
    })
}

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

impl Operation {
    /// The operation's absolute URL on the server at `base` (which may
    /// have a path of its own), its `{name}` segments filled from `vars`,
    /// each value percent-encoded as one segment. The one templater of the
    /// workspace: the client's requests and the mock's answers both use it.
    ///
    /// ```
    /// use segmind_ideogram::API;
    ///
    /// let url = API.job_status.url("http://127.0.0.1:8080", &[("request_id", "a b")])?;
    /// assert_eq!(url, "http://127.0.0.1:8080/v2/requests/a%20b/status");
    /// # Ok::<(), segmind_ideogram::Error>(())
    /// ```
    pub fn url(&self, base: &str, vars: &[(&str, &str)]) -> Result<String, Error> {
        let base = Url::parse(base)
            .map_err(|e| Error::Config(format!("`{base}` is not a base URL: {e}")))?;
        url(&base, self.path, vars).map(String::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::API;

    #[test]
    fn templates_expand_under_the_base_path() {
        let base = Url::parse("http://127.0.0.1:9/proxy").unwrap();
        let url = url(&base, API.job_status.path, &[("request_id", "a b/c")]).unwrap();
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:9/proxy/v2/requests/a%20b%2Fc/status"
        );
        let root = Url::parse("https://api.segmind.com/").unwrap();
        assert_eq!(
            super::url(&root, "/v1/{slug}", &[("slug", "ideogram-txt-2-img")])
                .unwrap()
                .as_str(),
            "https://api.segmind.com/v1/ideogram-txt-2-img"
        );
        assert!(super::url(&root, API.job_result.path, &[]).is_err());
    }

    #[test]
    fn job_ids_that_would_change_the_url_are_refused() {
        for bad in [
            "", ".", "..", "a/b", "a?b", "a#b", "a%2e", "a b", "a\nb", "\u{7}", " a",
        ] {
            assert!(
                matches!(check_job_id(bad), Err(Error::InvalidJobId { .. })),
                "{bad:?}"
            );
        }
        assert!(check_job_id(&"x".repeat(257)).is_err());
        for good in [
            "abc",
            "9f1c2d3e-0000-4000-8000-000000000001",
            "47411f110c6fa4fe05dcb9ffed2c1962",
            "a.b",
            "...",
        ] {
            assert!(check_job_id(good).is_ok(), "{good}");
        }
    }
}
