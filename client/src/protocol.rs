//! URLs of the protocol's operations, from the path templates the spec
//! generates into [`API`](crate::API) and [`EndpointInfo`](crate::EndpointInfo).

use reqwest::Url;

use crate::error::Error;

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
}
