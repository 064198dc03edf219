//! `ideogram list`: endpoints, the palette presets, or every value of a
//! choice member, grouped by the endpoints that share the same list.

use segmind_ideogram::{ENDPOINTS, FieldShape, PalettePresetName};

use crate::command::short_name;
use crate::failure::Failure;
use crate::help::palette_forms;
use crate::payload::estimated_cost;

/// Everything `ideogram list` takes: `endpoints`, `palettes`, and each
/// choice member of the registry in the plural (`resolutions`).
pub fn targets() -> Vec<String> {
    let mut targets = vec!["endpoints".to_owned(), "palettes".to_owned()];
    for info in ENDPOINTS {
        for field in info.fields {
            let plural = format!("{}s", field.name);
            if matches!(field.shape, FieldShape::Choice(_)) && !targets.contains(&plural) {
                targets.push(plural);
            }
        }
    }
    targets
}

pub fn run(what: &str) -> Result<(), Failure> {
    match what {
        "endpoints" => endpoints(),
        "palettes" => palettes(),
        _ => choices(what),
    }
}

fn endpoints() -> Result<(), Failure> {
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
    Ok(())
}

/// The presets a palette member takes, by name, and the other forms.
fn palettes() -> Result<(), Failure> {
    let users: Vec<&str> = ENDPOINTS
        .iter()
        .filter(|info| info.fields.iter().any(|f| f.shape == FieldShape::Json))
        .map(|info| short_name(info.slug))
        .collect();
    println!(
        "# palette presets ({} values): {}",
        PalettePresetName::VALUES.len(),
        users.join(", ")
    );
    for name in PalettePresetName::VALUES {
        println!("{name}");
    }
    println!(
        "# --color-palette takes{}",
        palette_forms().trim_start_matches(':')
    );
    Ok(())
}

fn choices(what: &str) -> Result<(), Failure> {
    let member = what.strip_suffix('s').unwrap_or(what);
    // (values, endpoints using exactly that list), in registry order.
    let mut groups: Vec<(&'static [&'static str], Vec<&'static str>)> = Vec::new();
    for info in ENDPOINTS {
        if let Some(FieldShape::Choice(values)) = info.field(member).map(|f| f.shape) {
            match groups.iter_mut().find(|(v, _)| *v == values) {
                Some((_, users)) => users.push(short_name(info.slug)),
                None => groups.push((values, vec![short_name(info.slug)])),
            }
        }
    }
    if groups.is_empty() {
        return Err(Failure::input(format!(
            "nothing to list for `{what}`: try {}",
            targets().join(", ")
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
