//! The spec's git repository, through gix: the current branch, its first-parent history, a
//! commit's files written out to a folder, and a new commit on the branch.

use std::path::{Path, PathBuf};

use gix::bstr::ByteSlice;
use gix::ObjectId;
use jiff::Timestamp;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::RollbackError;

/// One commit of the branch: its id, first line and time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Revision {
    /// The commit id (40 hex digits).
    pub id: String,
    /// The first line of its message.
    pub summary: String,
    /// When it was committed (RFC 3339).
    #[schemars(with = "String")]
    pub time: Timestamp,
}

/// A git work tree holding a platform repo, on a branch.
pub struct SpecRepo {
    repo: gix::Repository,
    workdir: PathBuf,
    branch: Option<String>,
    head: ObjectId,
}

fn git(what: &str, e: impl std::fmt::Display) -> RollbackError {
    RollbackError::Git(format!("{what}: {e}"))
}

impl SpecRepo {
    /// The repository whose work tree is `dir` (or holds it).
    pub fn open(dir: &Path) -> Result<SpecRepo, RollbackError> {
        let repo = gix::discover(dir).map_err(|e| RollbackError::NotARepository {
            path: dir.display().to_string(),
            why: e.to_string(),
        })?;
        let workdir =
            repo.workdir()
                .map(Path::to_path_buf)
                .ok_or_else(|| RollbackError::NotARepository {
                    path: dir.display().to_string(),
                    why: "it is a bare repository: a rollback is written in a work tree".into(),
                })?;
        let head = repo
            .head_id()
            .map_err(|e| git("the branch has no commit", e))?
            .detach();
        let branch = repo
            .head_name()
            .map_err(|e| git("reading HEAD", e))?
            .map(|name| name.shorten().to_string());
        Ok(SpecRepo {
            repo,
            workdir,
            branch,
            head,
        })
    }

    /// The work tree's folder.
    pub fn workdir(&self) -> &Path {
        &self.workdir
    }

    /// The current branch (`None` when HEAD is detached).
    pub fn branch(&self) -> Option<&str> {
        self.branch.as_deref()
    }

    /// The commit HEAD is at.
    pub fn head(&self) -> Result<Revision, RollbackError> {
        self.revision(self.head)
    }

    fn revision(&self, id: ObjectId) -> Result<Revision, RollbackError> {
        let commit = self
            .repo
            .find_commit(id)
            .map_err(|e| git("reading a commit", e))?;
        let summary = commit
            .message()
            .map(|m| m.summary().to_str_lossy().into_owned())
            .unwrap_or_default();
        let seconds = commit.time().map(|t| t.seconds).unwrap_or_default();
        Ok(Revision {
            id: id.to_string(),
            summary,
            time: Timestamp::from_second(seconds).unwrap_or(Timestamp::UNIX_EPOCH),
        })
    }

    /// HEAD and its first parents, newest first, at most `max`: the branch's own history, as
    /// a merge brought it in.
    pub fn first_parents(&self, max: usize) -> Result<Vec<Revision>, RollbackError> {
        let walk = self
            .head_commit()?
            .ancestors()
            .first_parent_only()
            .all()
            .map_err(|e| git("walking the history", e))?;
        let mut out = Vec::new();
        for info in walk.take(max) {
            let info = info.map_err(|e| git("walking the history", e))?;
            out.push(self.revision(info.id)?);
        }
        Ok(out)
    }

    fn head_commit(&self) -> Result<gix::Commit<'_>, RollbackError> {
        self.repo
            .find_commit(self.head)
            .map_err(|e| git("reading HEAD's commit", e))
    }

    /// The commit `rev` names (an id, a prefix, `HEAD~3`, a tag), which must be in the
    /// branch's history (HEAD or one of its ancestors).
    pub fn resolve_in_history(&self, rev: &str) -> Result<Revision, RollbackError> {
        let id = self
            .repo
            .rev_parse_single(rev.as_bytes().as_bstr())
            .map_err(|e| RollbackError::UnknownRevision {
                rev: rev.to_string(),
                why: e.to_string(),
            })?;
        let commit = id
            .object()
            .map_err(|e| git("reading a commit", e))?
            .peel_to_commit()
            .map_err(|e| RollbackError::UnknownRevision {
                rev: rev.to_string(),
                why: e.to_string(),
            })?;
        let id = commit.id;
        let base = self
            .repo
            .merge_base(id, self.head)
            .map_err(|_| self.not_in_history(rev))?;
        if base.map(gix::Id::detach) != Some(id) {
            return Err(self.not_in_history(rev));
        }
        self.revision(id)
    }

    fn not_in_history(&self, rev: &str) -> RollbackError {
        RollbackError::NotInHistory {
            rev: rev.to_string(),
            branch: self.branch.clone().unwrap_or_else(|| "HEAD".into()),
        }
    }

    /// Writes the files of `revision`'s tree under `dir` (which is created), keeping their
    /// paths; only those in the folder `under` (relative to the work tree, `""` for all).
    pub fn write_out(&self, revision: &str, under: &Path, dir: &Path) -> Result<(), RollbackError> {
        let id = ObjectId::from_hex(revision.as_bytes()).map_err(|e| git("a commit id", e))?;
        let tree = self
            .repo
            .find_commit(id)
            .and_then(|c| c.tree())
            .map_err(|e| git("reading a commit's tree", e))?;
        let mut recorder = gix::traverse::tree::Recorder::default();
        tree.traverse()
            .breadthfirst(&mut recorder)
            .map_err(|e| git("reading a commit's tree", e))?;
        std::fs::create_dir_all(dir)
            .map_err(|e| RollbackError::Io(dir.display().to_string(), e.to_string()))?;
        for entry in recorder.records {
            if !entry.mode.is_blob() {
                continue;
            }
            let Some(relative) = safe_relative(entry.filepath.to_str_lossy().as_ref())
                .filter(|r| r.starts_with(under))
            else {
                continue;
            };
            let path = dir.join(relative);
            let blob = self
                .repo
                .find_blob(entry.oid)
                .map_err(|e| git("reading a file of the commit", e))?;
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)
                    .map_err(|e| RollbackError::Io(parent.display().to_string(), e.to_string()))?;
            }
            std::fs::write(&path, &blob.data)
                .map_err(|e| RollbackError::Io(path.display().to_string(), e.to_string()))?;
        }
        Ok(())
    }

    /// A new commit on the current branch, HEAD as its parent, with `files` (paths relative
    /// to the work tree, and their new text) changed and nothing else; the branch moves to it
    /// and the index is made to match it. History is never rewritten: the branch must still
    /// be at the HEAD this repo was opened at.
    pub fn commit(
        &self,
        files: &[(PathBuf, String)],
        message: &str,
    ) -> Result<Revision, RollbackError> {
        if self.branch.is_none() {
            return Err(RollbackError::DetachedHead);
        }
        let head_tree = self
            .head_commit()?
            .tree_id()
            .map_err(|e| git("reading HEAD's tree", e))?;
        let mut editor = self
            .repo
            .edit_tree(head_tree)
            .map_err(|e| git("editing HEAD's tree", e))?;
        for (path, text) in files {
            let blob = self
                .repo
                .write_blob(text.as_bytes())
                .map_err(|e| git("writing a file", e))?;
            let rela = path.to_string_lossy().replace('\\', "/");
            editor
                .upsert(rela.as_str(), gix::object::tree::EntryKind::Blob, blob)
                .map_err(|e| git("editing HEAD's tree", e))?;
        }
        let tree = editor
            .write()
            .map_err(|e| git("writing the tree", e))?
            .detach();
        let id = self
            .repo
            .commit("HEAD", message, tree, [self.head])
            .map_err(|e| {
                let text = e.to_string();
                if text.contains("identity is not configured") {
                    RollbackError::NoIdentity
                } else {
                    git("committing", text)
                }
            })?
            .detach();
        let mut index = self
            .repo
            .index_from_tree(&tree)
            .map_err(|e| git("writing the index", e))?;
        index
            .write(Default::default())
            .map_err(|e| git("writing the index", e))?;
        self.revision(id)
    }
}

/// A tree path as a relative path of normal components only (no `..`, no root).
fn safe_relative(path: &str) -> Option<PathBuf> {
    let p = Path::new(path);
    p.components()
        .all(|c| matches!(c, std::path::Component::Normal(_)))
        .then(|| p.to_path_buf())
}
