//! `ideogram list`: endpoints, or every value of a choice member, grouped by
//! the endpoints that share the same list.

use segmind_ideogram::{ENDPOINTS, FieldShape};

use crate::command::short_name;
use crate::failure::Failure;
use crate::payload::estimated_cost;

pub fn run(what: &str) -> Result<(), Failure> {
    if what == "endpoints" {
        for info in ENDPOINTS {
            let latency = info
                .typical_latency_secs
                .map(|s| format!("~{s:.1}s"))
                .unwrap_or_else(|| "latency unknown".into());
            println!(
                "{:<18} {:<32} {}, {}",
                short_name(info.slug),
                info.title,
                estimated_cost(info),
                latency
            );
        }
        return Ok(());
    }
    let member = what.strip_suffix('s').unwrap_or(what).replace('-', "_");
    // (values, endpoints using exactly that list), in registry order.
    let mut groups: Vec<(&'static [&'static str], Vec<&'static str>)> = Vec::new();
    for info in ENDPOINTS {
        if let Some(FieldShape::Choice(values)) = info.field(&member).map(|f| f.shape) {
            match groups.iter_mut().find(|(v, _)| *v == values) {
                Some((_, users)) => users.push(short_name(info.slug)),
                None => groups.push((values, vec![short_name(info.slug)])),
            }
        }
    }
    if groups.is_empty() {
        return Err(Failure::input(format!(
            "nothing to list for `{what}`: try endpoints, resolutions, style_types, magic_prompt_options or rendering_speeds"
        )));
    }
    for (i, (values, users)) in groups.iter().enumerate() {
        if i > 0 {
            println!();
        }
        println!(
            "# {} ({} values): {}",
            member,
            values.len(),
            users.join(", ")
        );
        for value in *values {
            println!("{value}");
        }
    }
    Ok(())
}
