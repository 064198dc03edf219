//! `ideogram man`: the top man page on stdout, or with `--dir` one page per
//! command, so that the pages the top one refers to
//! (`ideogram-txt-2-img(1)`, …) exist.

use std::path::Path;

use crate::command::command;
use crate::failure::Failure;

pub fn run(dir: Option<&Path>) -> Result<(), Failure> {
    let Some(dir) = dir else {
        let mut page = Vec::new();
        clap_mangen::Man::new(command())
            .render(&mut page)
            .map_err(|e| Failure::input(format!("cannot render the man page: {e}")))?;
        return crate::print_bytes(&page);
    };
    std::fs::create_dir_all(dir)
        .and_then(|()| clap_mangen::generate_to(command(), dir))
        .map_err(|e| {
            Failure::input(format!(
                "cannot write the man pages to {}: {e}",
                dir.display()
            ))
        })?;
    println!("{}", dir.display());
    Ok(())
}
