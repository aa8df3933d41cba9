//! Text for terminals, shared by the human renderers of reports and plans: ANSI colours,
//! input text made safe to print, and plurals.

/// ANSI SGR parameters.
pub(crate) mod sgr {
    /// Bold.
    pub const BOLD: &str = "1";
    /// Dim.
    pub const DIM: &str = "2";
    /// Bold red.
    pub const RED: &str = "1;31";
    /// Bold green.
    pub const GREEN: &str = "1;32";
    /// Bold yellow.
    pub const YELLOW: &str = "1;33";
    /// Bold blue.
    pub const BLUE: &str = "1;34";
    /// Bold magenta.
    pub const MAGENTA: &str = "1;35";
    /// Bold cyan.
    pub const CYAN: &str = "1;36";
}

/// Paints text with ANSI codes, or not at all.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Style {
    /// Whether to paint.
    pub color: bool,
}

impl Style {
    /// `text` in the colour `sgr` (see [`sgr`]), or as it is without colour.
    pub fn paint(self, sgr: &str, text: &str) -> String {
        if self.color && !text.is_empty() {
            format!("\x1b[{sgr}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
}

/// Text from the input made safe for a terminal: control characters (but tab) and bidi
/// overrides become U+FFFD, one for one, so columns still line up.
pub(crate) fn clean(text: &str) -> String {
    text.chars()
        .map(|c| {
            let bidi = matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
            if (c.is_control() && c != '\t') || bidi {
                '\u{fffd}'
            } else {
                c
            }
        })
        .collect()
}

/// `n` followed by `word`, with an `s` unless `n` is one: `1 error`, `0 infos`.
pub(crate) fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}
