//! Test vectors (`dmnoti vectors`): Wycheproof-like JSON files of messages with known answers, for
//! implementers' own unit tests. Every vector states its expected result from how it was built
//! (never by asking our decoder), so a test that runs them through the codec checks the codec.
//! Generation is deterministic: same generator version, byte-identical files.
//!
//! Ids are stable: a vector's `id` is its file's prefix and `tcId`; new vectors are appended to the
//! end of a file, never inserted.
//!
//! This module owns the typed model ([`VectorFile`], [`TestGroup`], [`Vector`]) and the files:
//! writing, checking, finding one vector. Each family of vectors is a module: [`v13`], [`v12`],
//! [`framing`], [`session_id`]. A family says what its vectors are; [`file`] numbers them.

mod framing;
mod session_id;
mod v12;
mod v13;

use crate::codec::Format;
use crate::scr::ScrId;
use serde::{Serialize, Serializer};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

pub const GENERATOR: &str = concat!("dmnoti ", env!("CARGO_PKG_VERSION"));
const SERVER: &str = "com.example.dm";
const SECRET: &[u8] = b"vector-secret";
const NOW: u32 = 1_700_000_000;

/// One generated file: its path under `vectors/` and its contents.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VectorFile {
    #[serde(skip)]
    pub path: &'static str,
    pub algorithm: String,
    pub generator_version: &'static str,
    pub schema: &'static str,
    pub number_of_tests: usize,
    /// What the flags of the file's vectors mean.
    pub notes: Value,
    pub test_groups: Vec<TestGroup>,
}

impl VectorFile {
    /// The file's format: its vectors' bytes are 1.2 messages under `v12/`, 1.3 ones elsewhere
    /// (framings carry 1.3 messages).
    fn format(&self) -> Format {
        if self.path.starts_with("v12") {
            Format::V12
        } else {
            Format::V13
        }
    }

    pub fn vectors(&self) -> impl Iterator<Item = &Vector> {
        self.test_groups.iter().flat_map(|g| &g.tests)
    }
}

/// Vectors that share keys (the secret, the reading, the format).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TestGroup {
    #[serde(flatten)]
    pub keys: Map<String, Value>,
    pub tests: Vec<Vector>,
}

/// What a vector's bytes should be judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Valid,
    Invalid,
    /// Valid under a reading or leniency its flags name.
    Acceptable,
}

/// The rule an invalid vector breaks, and the section that states it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Broken {
    pub kind: &'static str,
    pub section: &'static str,
}

/// One vector.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Vector {
    pub tc_id: usize,
    pub id: String,
    pub comment: String,
    pub scrs: Vec<&'static str>,
    pub flags: Vec<&'static str>,
    #[serde(serialize_with = "as_hex")]
    pub input: Vec<u8>,
    pub result: Verdict,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<Broken>,
    /// What the family says besides: the decoded fields, the intermediates of a digest...
    #[serde(flatten)]
    pub fields: Map<String, Value>,
}

fn as_hex<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&crate::codec::hex(bytes))
}

/// What a vector's bytes should be judged, as the families state it.
#[derive(Debug, Clone)]
enum Expected {
    Valid,
    Invalid {
        kind: &'static str,
        section: &'static str,
    },
    Acceptable,
}

/// A vector's bytes and what is said of them, before [`file`] numbers it.
type Case = (Vec<u8>, Test);
/// A group's shared keys and its vectors.
type Group = (Value, Vec<Case>);

struct Test {
    comment: String,
    scrs: Vec<&'static str>,
    flags: Vec<&'static str>,
    fields: Value,
    expected: Expected,
}

impl Test {
    fn new(
        comment: impl Into<String>,
        scrs: &[&'static str],
        fields: Value,
        expected: Expected,
    ) -> Test {
        Test {
            comment: comment.into(),
            scrs: scrs.to_vec(),
            flags: Vec::new(),
            fields,
            expected,
        }
    }

    fn flag(mut self, flag: &'static str) -> Test {
        self.flags.push(flag);
        self
    }
}

/// A catalog id as a `'static` string the vectors can hold.
fn scr(item: ScrId) -> &'static str {
    item.as_str()
}

/// The sections of the 1.3 decoder's error kinds, as the spec states each rule (a table of its
/// own, not the codec's, so that the vectors check the codec).
fn invalid13(kind: &'static str) -> Expected {
    let section = match kind {
        "short-header" => "6.1",
        "unsupported-version" => "6.4.1",
        "reserved-transport" => "6.4.5",
        "zero-session-id" => "6.4.8",
        "truncated-option-header" | "option-out-of-order" => "6.2",
        "option-overrun" => "6.2.2",
        "unknown-option" | "bad-uint-length" | "empty-string" => "6.3",
        "server-id-too-long" | "missing-server-id" => "6.5.1",
        "invalid-utf8" => "6.2.3",
        "bearer-out-of-range" => "6.5.6",
        "missing-requested-mo" => "6.5.4",
        "option-count-mismatch" => "6.4.2",
        "missing-digest" | "short-digest" | "digest-mismatch" => "6.6",
        "trailing-bytes" => "6",
        "repeated-option" => "6.3",
        other => panic!("{other:?} is not an error kind of the 1.3 decoder: add its section"),
    };
    Expected::Invalid { kind, section }
}

/// Numbers a family's vectors (`tcId` from 1, ids prefixed by the file's path) into its file.
fn file(path: &'static str, algorithm: &str, notes: Value, groups: Vec<Group>) -> VectorFile {
    let prefix = path
        .trim_end_matches(".json")
        .replace('/', "-")
        .replace("framing-", "");
    let mut tc_id = 0;
    let test_groups: Vec<TestGroup> = groups
        .into_iter()
        .map(|(keys, tests)| TestGroup {
            keys: match keys {
                Value::Object(m) => m,
                _ => Map::new(),
            },
            tests: tests
                .into_iter()
                .map(|(input, t)| {
                    tc_id += 1;
                    let (result, error) = match t.expected {
                        Expected::Valid => (Verdict::Valid, None),
                        Expected::Acceptable => (Verdict::Acceptable, None),
                        Expected::Invalid { kind, section } => {
                            (Verdict::Invalid, Some(Broken { kind, section }))
                        }
                    };
                    Vector {
                        tc_id,
                        id: format!("{prefix}-{tc_id}"),
                        comment: t.comment,
                        scrs: t.scrs,
                        flags: t.flags,
                        input,
                        result,
                        error,
                        fields: match t.fields {
                            Value::Object(m) => m,
                            _ => Map::new(),
                        },
                    }
                })
                .collect(),
        })
        .collect();
    VectorFile {
        path,
        algorithm: algorithm.to_owned(),
        generator_version: GENERATOR,
        schema: "schema.json",
        number_of_tests: tc_id,
        notes,
        test_groups,
    }
}

/// Every vector file, in a fixed order.
pub fn generate() -> Vec<VectorFile> {
    vec![
        v13::header13(),
        v13::options13(),
        v13::digest13(),
        v12::v12_format(),
        v12::v12_digest(),
        framing::wsp(),
        framing::ota_http_file(),
        framing::sip_file(),
        framing::sms_file(),
        session_id::session_id_file(),
    ]
}

/// The text of a file as written: JSON with sorted keys (or YAML), so that diffs are stable.
pub fn render(f: &VectorFile, yaml: bool) -> String {
    // Through a `Value`, whose maps are sorted: the one place a file becomes text.
    let value = serde_json::to_value(f).unwrap_or_default();
    if yaml {
        serde_yaml::to_string(&value).unwrap_or_default()
    } else {
        serde_json::to_string_pretty(&value).unwrap_or_default() + "\n"
    }
}

/// Writes every file under `dir` (paths ending .yaml with `yaml`).
pub fn write(dir: &Path, yaml: bool) -> std::io::Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    for f in generate() {
        let mut path = dir.join(f.path);
        if yaml {
            path.set_extension("yaml");
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&path, render(&f, yaml))?;
        written.push(path);
    }
    Ok(written)
}

/// Why the committed files cannot be compared at all (bad input, not a difference).
#[derive(Debug, thiserror::Error)]
#[error("cannot read {}: {error}", path.display())]
pub struct Unreadable {
    pub path: PathBuf,
    pub error: std::io::Error,
}

/// What `check` found: the first difference, or files it cannot read.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error("{0}")]
    Differs(Box<Difference>),
    #[error(transparent)]
    Unreadable(#[from] Unreadable),
}

/// Where a committed file differs from a fresh generation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    pub path: PathBuf,
    pub line: usize,
    pub expected: String,
    pub found: String,
}

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}: differs from a fresh generation\n- {}\n+ {}\n(`dmnoti vectors generate` writes them anew)",
            self.path.display(),
            self.line,
            self.found,
            self.expected
        )
    }
}

/// Regenerates in memory and compares with the files under `dir`: the number of vectors, or the
/// first difference.
pub fn check(dir: &Path) -> Result<usize, CheckError> {
    check_with(dir, &|rel| {
        let path = dir.join(rel);
        std::fs::read_to_string(&path).map_err(|error| Unreadable { path, error })
    })
}

/// The vector files as this binary was built with them (`vectors/` of its source).
mod builtin {
    include!(concat!(env!("OUT_DIR"), "/builtin_vectors.rs"));
}

/// Where [`check_builtin`]'s files are said to be.
pub const BUILTIN: &str = "the vectors built into dmnoti";

/// Regenerates in memory and compares with the vector files built into the binary.
pub fn check_builtin() -> Result<usize, CheckError> {
    check_with(Path::new(BUILTIN), &|rel| {
        builtin::FILES
            .iter()
            .find(|(p, _)| *p == rel)
            .map(|(_, text)| (*text).to_owned())
            .ok_or_else(|| Unreadable {
                path: Path::new(BUILTIN).join(rel),
                error: std::io::Error::from(std::io::ErrorKind::NotFound),
            })
    })
}

/// The check of the files `read` gives, named as under `base`.
fn check_with(
    base: &Path,
    read: &dyn Fn(&str) -> Result<String, Unreadable>,
) -> Result<usize, CheckError> {
    let mut count = 0;
    for f in generate() {
        let path = base.join(f.path);
        let want = render(&f, false);
        let have = read(f.path)?;
        if want != have {
            let (line, (expected, found)) = want
                .lines()
                .map(Some)
                .chain(std::iter::repeat(None))
                .zip(have.lines().map(Some).chain(std::iter::repeat(None)))
                .take(want.lines().count().max(have.lines().count()) + 1)
                .enumerate()
                .find(|(_, (a, b))| a != b)
                .map(|(i, (a, b))| {
                    (
                        i + 1,
                        (
                            a.unwrap_or("(end of file)").to_owned(),
                            b.unwrap_or("(end of file)").to_owned(),
                        ),
                    )
                })
                .unwrap_or((1, ("?".into(), "?".into())));
            return Err(CheckError::Differs(Box::new(Difference {
                path,
                line,
                expected,
                found,
            })));
        }
        count += f.number_of_tests;
    }
    Ok(count)
}

/// The message of a vector by id (`v13-digest-17`), for suites' `from_vector`. The vectors are
/// generated once per process and indexed.
pub fn find(id: &str) -> Option<(Format, Vec<u8>)> {
    static INDEX: OnceLock<HashMap<String, (Format, Vec<u8>)>> = OnceLock::new();
    INDEX
        .get_or_init(|| {
            generate()
                .iter()
                .flat_map(|f| {
                    let format = f.format();
                    f.vectors()
                        .map(move |v| (v.id.clone(), (format, v.input.clone())))
                })
                .collect()
        })
        .get(id)
        .cloned()
}
