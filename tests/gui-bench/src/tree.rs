//! Memory of a process tree: the root and every descendant found through `/proc/*/stat`, each
//! process's PSS and RSS from `/proc/<pid>/smaps_rollup` (PSS shares each page among the
//! processes that map it, so the sum over a tree counts shared libraries once).

use std::collections::HashMap;

/// One process of the tree.
#[derive(Debug, Clone)]
pub struct Proc {
    pub name: String,
    pub pss_kb: u64,
    pub rss_kb: u64,
}

/// One sample of the tree.
#[derive(Debug, Clone, Default)]
pub struct TreeSample {
    pub procs: Vec<Proc>,
}

impl TreeSample {
    pub fn pss_kb(&self) -> u64 {
        self.procs.iter().map(|p| p.pss_kb).sum()
    }
    pub fn rss_kb(&self) -> u64 {
        self.procs.iter().map(|p| p.rss_kb).sum()
    }
    /// PSS by process name (several WebKitWebProcess are added up), largest first.
    pub fn by_name(&self) -> Vec<(String, usize, u64)> {
        let mut by: HashMap<&str, (usize, u64)> = HashMap::new();
        for p in &self.procs {
            let e = by.entry(p.name.as_str()).or_default();
            e.0 += 1;
            e.1 += p.pss_kb;
        }
        let mut v: Vec<_> = by
            .into_iter()
            .map(|(n, (count, kb))| (n.to_owned(), count, kb))
            .collect();
        v.sort_by_key(|p| std::cmp::Reverse(p.2));
        v
    }
}

/// `(pid, parent pid, name)` of every process still readable.
fn processes() -> Vec<(u32, u32, String)> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            // `pid (comm) state ppid ...`; comm may hold spaces and parentheses.
            let open = stat.find('(')?;
            let close = stat.rfind(')')?;
            let name = stat.get(open + 1..close)?.to_owned();
            let ppid = stat.get(close + 2..)?.split(' ').nth(1)?.parse().ok()?;
            Some((pid, ppid, name))
        })
        .collect()
}

/// The root and its descendants, with their names.
pub fn tree(root: u32) -> Vec<(u32, String)> {
    let all = processes();
    let mut out: Vec<(u32, String)> = all
        .iter()
        .filter(|(pid, _, _)| *pid == root)
        .map(|(pid, _, name)| (*pid, name.clone()))
        .collect();
    let mut i = 0;
    while i < out.len() {
        let parent = out[i].0;
        out.extend(
            all.iter()
                .filter(|(_, ppid, _)| *ppid == parent)
                .map(|(pid, _, name)| (*pid, name.clone())),
        );
        i += 1;
    }
    out
}

/// `Pss` and `Rss` of one process in kB, if it is still there.
fn rollup(pid: u32) -> Option<(u64, u64)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok()?;
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|kb| kb.parse::<u64>().ok())
    };
    Some((field("Pss:")?, field("Rss:")?))
}

/// PSS and RSS of every process of the tree under `root`.
pub fn sample(root: u32) -> TreeSample {
    TreeSample {
        procs: tree(root)
            .into_iter()
            .filter_map(|(pid, name)| {
                let (pss_kb, rss_kb) = rollup(pid)?;
                Some(Proc {
                    name,
                    pss_kb,
                    rss_kb,
                })
            })
            .collect(),
    }
}
