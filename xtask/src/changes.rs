//! placeholder
use std::path::Path;
pub fn run(_root: &Path, _since: Option<&str>) -> Result<String, crate::Error> {
    Ok(String::new())
}
