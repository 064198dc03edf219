//! Reconciliation against a simulated request history with every fault
//! Segmind's is seen (or feared) to have: a skewed clock, dates without a
//! zone, paging that lies, renamed models, rows that lack members, rows
//! repeated once per output, late rows, other folders' identical jobs and
//! other lines' jobs. Never "absent" when the job exists; "found" only for
//! the attempt's own job.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use proptest::prelude::*;
use segmind_ideogram::RequestRecord;
use serde_json::{Value, json};

use super::clock::Offset;
use super::evidence::{Evidence, Page, WindowRead};
use super::{Attempt, Verdict, decide};
use crate::event::At;
use crate::key::{Fingerprint, Key};

const T0: u64 = 1_800_000_000_000;
const GRACE: Duration = Duration::from_secs(60);
const SLUGS: [&str; 2] = ["ideogram-txt-2-img", "ideogram-3-reframe"];
const HOUR: i64 = 3_600_000;

fn body(n: usize) -> Value {
    json!({"prompt": format!("prompt {n}"), "seed": 100 + n})
}

#[derive(Debug, Clone, Copy)]
enum Paging {
    Honest,
    /// `count` is the rows of each page.
    CountPerPage,
    /// Every page is the first.
    IgnoresPage,
    /// Rows are shuffled between pages.
    Unstable(u64),
}

#[derive(Debug, Clone)]
struct World {
    /// Segmind's clock is ours plus this.
    offset_ms: i64,
    /// Whether its answers carry a `Date` header.
    date_header: bool,
    /// Dates written without a zone, in a zone this far from UTC.
    zoneless: Option<i64>,
    renamed: bool,
    drops_seed: bool,
    repeats: usize,
    paging: Paging,
    per_page: usize,
}

impl World {
    fn clean() -> Self {
        Self {
            offset_ms: 0,
            date_header: true,
            zoneless: None,
            renamed: false,
            drops_seed: false,
            repeats: 1,
            paging: Paging::Honest,
            per_page: 3,
        }
    }

    fn is_clean(&self) -> bool {
        self.date_header
            && self.zoneless.is_none()
            && !self.drops_seed
            && matches!(self.paging, Paging::Honest)
    }
}

/// One of our attempts: its endpoint and body (small pools, so attempts
/// of one request happen), when it was sent, and whether Segmind has it.
#[derive(Debug, Clone)]
struct Sent {
    slug: usize,
    body: usize,
    first_sent: u64,
    window: u64,
    /// Where in its window its job was created (0..=1000), if it was.
    job: Option<u64>,
}

/// A row that is not one of our attempts' jobs.
#[derive(Debug, Clone)]
enum Other {
    /// Another folder's job of a request we also sent, at another time.
    IdenticalElsewhere {
        slug: usize,
        body: usize,
        hours_before: u64,
    },
    /// Another request of the account, at any time.
    Unrelated { slug: usize, at: u64 },
    /// A job another line of this ledger owns (any request, any time).
    Claimed { slug: usize, body: usize, at: u64 },
}

struct Case {
    attempts: Vec<Attempt>,
    evidence: Evidence,
    claimed: HashSet<String>,
    /// Job id → the group (slug, body) whose attempt created it.
    ours: HashMap<String, (usize, usize)>,
    /// Per group: how many attempts have no job.
    absent: HashMap<(usize, usize), usize>,
}

fn row(world: &World, id: &str, slug: usize, body: &Value, created_ours: i64) -> RequestRecord {
    let server = created_ours + world.offset_ms;
    let created_at = match world.zoneless {
        Some(zone) => {
            let local = At((server + zone).max(0) as u64).time();
            let text = humantime::format_rfc3339_millis(local).to_string();
            json!(text.trim_end_matches('Z'))
        }
        None => {
            json!(humantime::format_rfc3339_millis(At(server.max(0) as u64).time()).to_string())
        }
    };
    let mut body = body.clone();
    if world.drops_seed {
        body.as_object_mut().unwrap().remove("seed");
    }
    let model = if world.renamed {
        format!("segmind/{}", SLUGS[slug])
    } else {
        SLUGS[slug].to_owned()
    };
    serde_json::from_value(json!({
        "request_id": id,
        "model_name": model,
        "request_body": body,
        "created_at": created_at,
    }))
    .unwrap()
}

fn build(world: &World, sent: &[Sent], others: &[Other]) -> Case {
    let mut attempts = Vec::new();
    let mut rows: Vec<(i64, RequestRecord)> = Vec::new();
    let mut ours = HashMap::new();
    let mut absent: HashMap<(usize, usize), usize> = HashMap::new();
    for (n, s) in sent.iter().enumerate() {
        let first_sent = T0 + s.first_sent;
        let reach_by = first_sent + s.window;
        attempts.push(Attempt {
            key: Key::new(format!("line-{n}"), Fingerprint::from_recorded("f")),
            endpoint: SLUGS[s.slug].to_owned(),
            body: body(s.body),
            first_sent: At(first_sent),
            reach_by: At(reach_by),
        });
        match s.job {
            Some(at) => {
                let id = format!("job-{n}");
                let created = first_sent + s.window * at / 1000;
                rows.push((
                    created as i64,
                    row(world, &id, s.slug, &body(s.body), created as i64),
                ));
                ours.insert(id, (s.slug, s.body));
            }
            None => *absent.entry((s.slug, s.body)).or_default() += 1,
        }
    }
    let mut claimed = HashSet::new();
    for (n, other) in others.iter().enumerate() {
        let id = format!("other-{n}");
        let (slug, body, at) = match other {
            Other::IdenticalElsewhere {
                slug,
                body: b,
                hours_before,
            } => {
                // Beyond any window's slack: another run, hours apart.
                (
                    *slug,
                    body(*b),
                    T0 as i64 - (15 + *hours_before as i64) * HOUR,
                )
            }
            Other::Unrelated { slug, at } => (
                *slug,
                json!({"prompt": format!("unrelated {n}")}),
                (T0 + at) as i64,
            ),
            Other::Claimed { slug, body: b, at } => {
                claimed.insert(id.clone());
                (*slug, body(*b), (T0 + at) as i64)
            }
        };
        rows.push((at, row(world, &id, slug, &body, at)));
    }
    let started = attempts
        .iter()
        .map(|a| a.reach_by)
        .max()
        .unwrap_or(At(T0))
        .plus(GRACE)
        .plus(Duration::from_millis(500));
    // Newest first, each request once per output.
    rows.sort_by_key(|r| std::cmp::Reverse(r.0));
    // Each output's row carries its own URL.
    let listed: Vec<RequestRecord> = rows
        .into_iter()
        .flat_map(|(_, r)| {
            (0..world.repeats).map(move |n| {
                let mut output = r.clone();
                let id = output.request_id.clone().unwrap_or_default();
                output.generation_url = Some(json!(format!("https://out/{id}-{n}.png")));
                output
            })
        })
        .collect();
    let pages = paginate(world, &listed);
    let offset = if world.date_header {
        let received = started.plus(Duration::from_millis(80));
        let date = At((started.0 as i64 + 40 + world.offset_ms) as u64 / 1000 * 1000).time();
        Offset::measured(started, received, date)
    } else {
        Offset::UNKNOWN
    };
    let broken = matches!(world.paging, Paging::IgnoresPage)
        .then(|| "the request history holds more rows than can be read".to_owned())
        .filter(|_| !listed.is_empty());
    Case {
        attempts,
        evidence: Evidence {
            windows: vec![WindowRead {
                from: At(T0).minus(Duration::from_secs(2 * 86_400)),
                to: started.plus(Duration::from_secs(2 * 86_400)),
                pages,
                broken,
            }],
            offset,
            started,
        },
        claimed,
        ours,
        absent,
    }
}

fn paginate(world: &World, rows: &[RequestRecord]) -> Vec<Page> {
    let total = rows.len() as u64;
    let chunks = |rows: &[RequestRecord]| -> Vec<Vec<RequestRecord>> {
        rows.chunks(world.per_page).map(<[_]>::to_vec).collect()
    };
    let mut pages: Vec<Page> = match world.paging {
        Paging::Honest => chunks(rows)
            .into_iter()
            .map(|rows| Page {
                rows,
                total: Some(total),
            })
            .collect(),
        Paging::CountPerPage => chunks(rows)
            .into_iter()
            .map(|rows| Page {
                total: Some(rows.len() as u64),
                rows,
            })
            .collect(),
        Paging::IgnoresPage => {
            let first = chunks(rows).into_iter().next().unwrap_or_default();
            vec![
                Page {
                    rows: first,
                    total: Some(total)
                };
                if rows.is_empty() { 0 } else { 3 }
            ]
        }
        Paging::Unstable(seed) => {
            let n = rows.len().div_ceil(world.per_page);
            (0..n)
                .map(|k| {
                    let mut shuffled = rows.to_vec();
                    let mut state = seed.wrapping_add(k as u64);
                    for i in (1..shuffled.len()).rev() {
                        state = state
                            .wrapping_mul(6_364_136_223_846_793_005)
                            .wrapping_add(1);
                        shuffled.swap(i, (state >> 33) as usize % (i + 1));
                    }
                    let rows = shuffled
                        .chunks(world.per_page)
                        .nth(k)
                        .map(<[_]>::to_vec)
                        .unwrap_or_default();
                    Page {
                        rows,
                        total: Some(total),
                    }
                })
                .collect()
        }
    };
    if !matches!(world.paging, Paging::IgnoresPage) || rows.is_empty() {
        pages.push(Page {
            rows: Vec::new(),
            total: Some(match world.paging {
                Paging::CountPerPage => 0,
                _ => total,
            }),
        });
    }
    pages
}

fn check(case: &Case) -> Vec<Verdict> {
    let mut claims = crate::book::Claims::default();
    for id in &case.claimed {
        claims.insert(id);
    }
    let verdicts = decide(&case.attempts, &case.evidence, &claims, GRACE);
    let mut found = HashSet::new();
    let mut absent_by_group: HashMap<(usize, usize), usize> = HashMap::new();
    for (attempt, verdict) in case.attempts.iter().zip(&verdicts) {
        let slug = SLUGS.iter().position(|s| *s == attempt.endpoint).unwrap();
        let b = (0..10).find(|n| body(*n) == attempt.body).unwrap();
        match verdict {
            Verdict::Found { job_id } => {
                assert_eq!(
                    case.ours.get(job_id),
                    Some(&(slug, b)),
                    "{job_id} is not this request's own job"
                );
                assert!(found.insert(job_id.clone()), "{job_id} found twice");
                assert!(!case.claimed.contains(job_id));
            }
            Verdict::Absent => *absent_by_group.entry((slug, b)).or_default() += 1,
            Verdict::TooSoon | Verdict::Unknown { .. } => {}
        }
    }
    for (group, n) in absent_by_group {
        let truly = case.absent.get(&group).copied().unwrap_or(0);
        assert!(
            n <= truly,
            "{n} attempts of {group:?} judged absent, {truly} are: one would be paid twice"
        );
    }
    verdicts
}

fn worlds() -> impl Strategy<Value = World> {
    (
        -900_000i64..900_000,
        any::<bool>(),
        prop::option::of(-12i64..=14),
        any::<bool>(),
        any::<bool>(),
        1usize..=3,
        prop_oneof![
            Just(Paging::Honest),
            Just(Paging::CountPerPage),
            Just(Paging::IgnoresPage),
            any::<u64>().prop_map(Paging::Unstable),
        ],
        1usize..=4,
    )
        .prop_map(
            |(offset_ms, date_header, zone, renamed, drops_seed, repeats, paging, per_page)| {
                World {
                    offset_ms,
                    date_header,
                    zoneless: zone.map(|h| h * HOUR),
                    renamed,
                    drops_seed,
                    repeats,
                    paging,
                    per_page,
                }
            },
        )
}

fn sent() -> impl Strategy<Value = Vec<Sent>> {
    prop::collection::vec(
        (
            0usize..2,
            0usize..3,
            0u64..600_000,
            0u64..120_000,
            prop::option::of(0u64..=1000),
        )
            .prop_map(|(slug, body, first_sent, window, job)| Sent {
                slug,
                body,
                first_sent,
                window,
                job,
            }),
        1..6,
    )
}

fn others() -> impl Strategy<Value = Vec<Other>> {
    prop::collection::vec(
        prop_oneof![
            (0usize..2, 0usize..3, 0u64..20).prop_map(|(slug, body, hours_before)| {
                Other::IdenticalElsewhere {
                    slug,
                    body,
                    hours_before,
                }
            }),
            (0usize..2, 0u64..800_000).prop_map(|(slug, at)| Other::Unrelated { slug, at }),
            (0usize..2, 0usize..3, 0u64..800_000).prop_map(|(slug, body, at)| Other::Claimed {
                slug,
                body,
                at
            }),
        ],
        0..6,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn never_absent_when_the_job_exists_and_found_only_for_its_own(world in worlds(), sent in sent(), others in others()) {
        check(&build(&world, &sent, &others));
    }

    /// Strong evidence gets an answer: in a clean world without other rows,
    /// every job that exists is found and every other attempt is absent.
    #[test]
    fn a_clean_history_decides_every_attempt(offset_ms in -900_000i64..900_000, repeats in 1usize..=3, sent in sent()) {
        let world = World { offset_ms, repeats, ..World::clean() };
        prop_assume!(world.is_clean());
        let case = build(&world, &sent, &[]);
        let verdicts = check(&case);
        let found = verdicts.iter().filter(|v| matches!(v, Verdict::Found { .. })).count();
        let absent = verdicts.iter().filter(|v| **v == Verdict::Absent).count();
        prop_assert_eq!(found, case.ours.len(), "{:?}", verdicts);
        prop_assert_eq!(absent, sent.len() - case.ours.len(), "{:?}", verdicts);
    }
}

/// The cases of the issue that made the earlier reconciliation pay twice,
/// each with three lines whose jobs exist: every job is found.
#[test]
fn each_fault_of_the_issue_still_finds_the_jobs() {
    let sent: Vec<Sent> = (0..3)
        .map(|n| Sent {
            slug: 0,
            body: n,
            first_sent: n as u64 * 1000,
            window: 5_000,
            job: Some(300),
        })
        .collect();
    let faults = [
        (
            "the clock 400 s behind",
            World {
                offset_ms: -400_000,
                ..World::clean()
            },
        ),
        (
            "dates without a zone, local time in UTC-8",
            World {
                zoneless: Some(-8 * HOUR),
                ..World::clean()
            },
        ),
        (
            "the model renamed",
            World {
                renamed: true,
                ..World::clean()
            },
        ),
        (
            "rows without the seed",
            World {
                drops_seed: true,
                ..World::clean()
            },
        ),
        (
            "rows once per output",
            World {
                repeats: 3,
                ..World::clean()
            },
        ),
        (
            "count per page",
            World {
                paging: Paging::CountPerPage,
                ..World::clean()
            },
        ),
        (
            "page ignored",
            World {
                paging: Paging::IgnoresPage,
                per_page: 5,
                ..World::clean()
            },
        ),
    ];
    for (what, world) in faults {
        let verdicts = check(&build(&world, &sent, &[]));
        assert!(
            verdicts.iter().all(|v| matches!(v, Verdict::Found { .. })),
            "{what}: {verdicts:?}"
        );
    }
}

/// Another folder ran the same input earlier: its jobs are not ours.
#[test]
fn another_folders_identical_jobs_are_not_taken() {
    let sent: Vec<Sent> = (0..2)
        .map(|n| Sent {
            slug: 0,
            body: n,
            first_sent: 0,
            window: 5_000,
            job: Some(500),
        })
        .collect();
    let others: Vec<Other> = (0..2)
        .map(|n| Other::IdenticalElsewhere {
            slug: 0,
            body: n,
            hours_before: 0,
        })
        .collect();
    let case = build(&World::clean(), &sent, &others);
    let verdicts = check(&case);
    assert_eq!(
        verdicts,
        vec![
            Verdict::Found {
                job_id: "job-0".into()
            },
            Verdict::Found {
                job_id: "job-1".into()
            },
        ]
    );
}

/// Lying paging, or a row that may be ours recorded differently, forbids
/// "absent"; a recent attempt is asked again later.
#[test]
fn weak_evidence_is_unknown_and_recent_attempts_too_soon() {
    let lost = [Sent {
        slug: 0,
        body: 0,
        first_sent: 0,
        window: 5_000,
        job: None,
    }];
    let lying = World {
        paging: Paging::CountPerPage,
        per_page: 1,
        ..World::clean()
    };
    let others = [
        Other::Unrelated {
            slug: 1,
            at: 100_000,
        },
        Other::Unrelated {
            slug: 1,
            at: 200_000,
        },
    ];
    let verdicts = check(&build(&lying, &lost, &others));
    assert!(
        matches!(&verdicts[0], Verdict::Unknown { reason } if reason.contains("paging")),
        "{verdicts:?}"
    );

    let nearby = [Other::Unrelated { slug: 0, at: 2_000 }];
    let verdicts = check(&build(&World::clean(), &lost, &nearby));
    assert!(
        matches!(&verdicts[0], Verdict::Unknown { reason } if reason.contains("different body")),
        "{verdicts:?}"
    );

    let mut case = build(&World::clean(), &lost, &[]);
    case.evidence.started = case.attempts[0].reach_by.plus(Duration::from_secs(10));
    assert_eq!(check(&case), vec![Verdict::TooSoon]);
    case.evidence.started = case.attempts[0].reach_by.plus(GRACE);
    assert_eq!(check(&case), vec![Verdict::Absent]);
}
