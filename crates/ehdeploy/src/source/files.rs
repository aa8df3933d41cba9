//! Source files held in memory and byte spans into them.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::report::Location;

/// The index of a file in a [`SourceMap`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(pub u32);

/// A byte range in the original text of one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Span {
    /// The file.
    pub file: FileId,
    /// First byte.
    pub start: u32,
    /// One past the last byte.
    pub end: u32,
}

impl Span {
    /// A span from `start` to `end` in `file`.
    pub fn new(file: FileId, start: usize, end: usize) -> Span {
        let clamp = |v: usize| u32::try_from(v).unwrap_or(u32::MAX);
        Span {
            file,
            start: clamp(start),
            end: clamp(end.max(start)),
        }
    }
}

/// A 1-based line and column (the column counts characters, not bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    /// Line, from 1.
    pub line: u32,
    /// Column, from 1, in characters.
    pub column: u32,
}

/// One source file: its path, as given and as shown, and its original text.
#[derive(Debug, Clone)]
pub struct SourceFile {
    path: PathBuf,
    display: String,
    text: String,
    /// Where each line starts: found the first time a position is asked for (most files of
    /// a large check have no finding, and are never searched for their lines).
    line_starts: OnceLock<Vec<u32>>,
}

impl SourceFile {
    /// The path the file was read from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The path as findings show it.
    pub fn display(&self) -> &str {
        &self.display
    }

    /// The original text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The byte offset where each line starts.
    fn line_starts(&self) -> &[u32] {
        self.line_starts.get_or_init(|| {
            let mut starts = vec![0u32];
            starts.extend(self.text.match_indices('\n').map(|(i, _)| i as u32 + 1));
            starts
        })
    }

    /// The line and column of a byte offset.
    pub fn position(&self, offset: u32) -> Position {
        let offset = offset.min(self.text.len() as u32);
        let line_starts = self.line_starts();
        let line = match line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        let start = line_starts.get(line).copied().unwrap_or(0) as usize;
        let mut end = offset as usize;
        while end > start && !self.text.is_char_boundary(end) {
            end -= 1;
        }
        let column = self.text.get(start..end).map_or(0, |s| s.chars().count());
        Position {
            line: line as u32 + 1,
            column: column as u32 + 1,
        }
    }

    /// The text of a 1-based line, without its line break.
    pub fn line_text(&self, line: u32) -> &str {
        let idx = line.saturating_sub(1) as usize;
        let line_starts = self.line_starts();
        let Some(&start) = line_starts.get(idx) else {
            return "";
        };
        let end = line_starts
            .get(idx + 1)
            .map_or(self.text.len(), |&e| e as usize);
        self.text
            .get(start as usize..end)
            .unwrap_or("")
            .trim_end_matches(['\n', '\r'])
    }

    /// The text a span covers.
    pub fn slice(&self, span: Span) -> &str {
        self.text
            .get(span.start as usize..span.end as usize)
            .unwrap_or("")
    }
}

/// Every file read during one operation; spans and findings refer to files by [`FileId`].
#[derive(Debug, Clone, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    /// An empty map.
    pub fn new() -> SourceMap {
        SourceMap::default()
    }

    /// Add a file's original text; `display` is how findings name it.
    pub fn add(&mut self, path: PathBuf, display: String, text: String) -> FileId {
        self.files.push(SourceFile {
            path,
            display,
            text,
            line_starts: OnceLock::new(),
        });
        FileId(self.files.len() as u32 - 1)
    }

    /// The file behind an id.
    pub fn file(&self, id: FileId) -> Option<&SourceFile> {
        self.files.get(id.0 as usize)
    }

    /// The id of a file already read from `path`.
    pub fn find(&self, path: &Path) -> Option<FileId> {
        self.files
            .iter()
            .position(|f| f.path == path)
            .map(|i| FileId(i as u32))
    }

    /// Every file, in the order they were added.
    pub fn files(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (FileId(i as u32), f))
    }

    /// The location a finding shows for `span`, with the JSON pointer of the value.
    pub fn location(&self, span: Span, pointer: &str) -> Location {
        match self.file(span.file) {
            Some(f) => {
                let p = f.position(span.start);
                Location {
                    file: f.display.clone(),
                    line: p.line,
                    column: p.column,
                    pointer: pointer.to_string(),
                }
            }
            None => Location {
                file: String::new(),
                line: 0,
                column: 0,
                pointer: pointer.to_string(),
            },
        }
    }

    /// The location of the start of a file.
    pub fn file_location(&self, file: FileId) -> Location {
        self.location(Span::new(file, 0, 0), "")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_and_count_characters() {
        let mut map = SourceMap::new();
        let id = map.add("a.yaml".into(), "a.yaml".into(), "a: 1\nnäme: x\n".into());
        let f = map.file(id).unwrap();
        assert_eq!(f.position(0), Position { line: 1, column: 1 });
        assert_eq!(f.position(5), Position { line: 2, column: 1 });
        // 'x' after "näme: " (ä is two bytes)
        assert_eq!(f.position(12), Position { line: 2, column: 7 });
        assert_eq!(f.line_text(2), "näme: x");
    }
}
