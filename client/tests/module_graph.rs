//! The runtime's modules form layers: no module imports one that imports
//! it back, however indirectly. Read from the sources, so that a new `use`
//! that closes a cycle fails here.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// `module -> modules it names with `crate::``, for the files of `src/`
/// (the files of `src/generated/` count as one module, `generated`).
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let files = |dir: &Path| {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "rs"))
            .collect::<Vec<_>>()
    };
    let mut sources: Vec<(String, std::path::PathBuf)> = files(&src)
        .into_iter()
        .map(|p| (p.file_stem().unwrap().to_string_lossy().into_owned(), p))
        .filter(|(name, _)| name != "lib")
        .collect();
    sources.extend(
        files(&src.join("generated"))
            .into_iter()
            .map(|p| ("generated".to_owned(), p)),
    );
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (name, path) in sources {
        let name = name.as_str();
        let text = std::fs::read_to_string(&path).unwrap();
        // Only the module's own code: its unit tests may reach anywhere.
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        let mut uses = BTreeSet::new();
        for (at, _) in code.match_indices("crate::") {
            let rest = &code[at + "crate::".len()..];
            let module: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            let is_module = src.join(format!("{module}.rs")).exists()
                || src.join(&module).join("mod.rs").exists();
            if is_module && module != name {
                uses.insert(module);
            }
        }
        graph.entry(name.to_owned()).or_default().extend(uses);
    }
    graph
}

/// A cycle through `start`, if any, as the path of module names.
fn cycle_from(
    graph: &BTreeMap<String, BTreeSet<String>>,
    start: &str,
    node: &str,
    path: &mut Vec<String>,
    seen: &mut BTreeSet<String>,
) -> Option<Vec<String>> {
    for next in graph.get(node).into_iter().flatten() {
        if next == start {
            let mut cycle = path.clone();
            cycle.push(start.to_owned());
            return Some(cycle);
        }
        if seen.insert(next.clone()) {
            path.push(next.clone());
            if let Some(cycle) = cycle_from(graph, start, next, path, seen) {
                return Some(cycle);
            }
            path.pop();
        }
    }
    None
}

#[test]
fn the_runtime_has_no_module_cycles() {
    let graph = graph();
    assert!(graph.contains_key("transport") && graph.contains_key("client"));
    for module in graph.keys() {
        let mut path = vec![module.clone()];
        let found = cycle_from(&graph, module, module, &mut path, &mut BTreeSet::new());
        assert!(
            found.is_none(),
            "import cycle: {}",
            found.unwrap().join(" -> ")
        );
    }
}

#[test]
fn the_cycle_finder_finds_cycles() {
    let mut graph = BTreeMap::new();
    graph.insert("a".to_owned(), BTreeSet::from(["b".to_owned()]));
    graph.insert("b".to_owned(), BTreeSet::from(["c".to_owned()]));
    graph.insert("c".to_owned(), BTreeSet::from(["a".to_owned()]));
    let mut path = vec!["a".to_owned()];
    let cycle = cycle_from(&graph, "a", "a", &mut path, &mut BTreeSet::new());
    assert_eq!(
        cycle,
        Some(vec!["a".into(), "b".into(), "c".into(), "a".into()])
    );
}
