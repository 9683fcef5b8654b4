//! The FAQ of the help screen, sans I/O: the Region edits a plain text file
//! (numbered questions, each followed by its answer, lines wrapped as in a
//! document) and the apps show it as questions and answers.

use serde::{Deserialize, Serialize};

/// The FAQ shipped with the apps (the Region's own, `--faq FILE`, replaces it).
pub const DEFAULT_FAQ: &str = include_str!("../data/faq.txt");

/// A question and its answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FaqEntry {
    /// Its number in the file.
    pub number: u32,
    /// The question.
    pub question: String,
    /// The answer, in paragraphs.
    pub answer: Vec<String>,
}

/// `12. ` at the start of a line: the number of a question.
fn heading(line: &str) -> Option<(u32, &str)> {
    let digits = line.find(|c: char| !c.is_ascii_digit())?;
    if digits == 0 || digits > 3 {
        return None;
    }
    let rest = line[digits..].strip_prefix(". ")?;
    Some((line[..digits].parse().ok()?, rest))
}

/// Joins wrapped lines: a line ending with `-` inside a word (`Rhône-`,
/// `Alpes`) is joined without a space.
fn join(parts: &[&str]) -> String {
    let mut out = String::new();
    for p in parts {
        let glued = out.ends_with('-') && p.chars().next().is_some_and(char::is_alphabetic);
        if !out.is_empty() && !glued {
            out.push(' ');
        }
        out.push_str(p);
    }
    out
}

/// Parses the FAQ text: a question starts with its number (`3. Comment…`)
/// and may wrap until its `?`; blank lines separate the answer's
/// paragraphs. Text before the first question is ignored.
pub fn parse_faq(text: &str) -> Vec<FaqEntry> {
    let mut out: Vec<FaqEntry> = Vec::new();
    let mut question: Option<(u32, Vec<String>)> = None;
    let mut open_question = false;
    let mut paragraph: Vec<String> = Vec::new();
    let flush = |paragraph: &mut Vec<String>, out: &mut Vec<FaqEntry>| {
        if !paragraph.is_empty() {
            let refs: Vec<&str> = paragraph.iter().map(String::as_str).collect();
            if let Some(last) = out.last_mut() {
                last.answer.push(join(&refs));
            }
            paragraph.clear();
        }
    };
    for raw in text.lines() {
        let line = raw.trim_matches(|c: char| c.is_whitespace() || c == '\u{a0}');
        if let Some((n, rest)) = heading(line) {
            flush(&mut paragraph, &mut out);
            question = Some((n, vec![rest.to_owned()]));
            open_question = !rest.ends_with('?');
            if !open_question {
                push_question(&mut out, &mut question);
            }
            continue;
        }
        if open_question {
            if let Some((_, parts)) = question.as_mut()
                && !line.is_empty()
            {
                parts.push(line.to_owned());
                if line.ends_with('?') {
                    open_question = false;
                    push_question(&mut out, &mut question);
                }
            }
            continue;
        }
        if line.is_empty() {
            flush(&mut paragraph, &mut out);
        } else if !out.is_empty() {
            paragraph.push(line.to_owned());
        }
    }
    if open_question {
        push_question(&mut out, &mut question);
    }
    flush(&mut paragraph, &mut out);
    out
}

fn push_question(out: &mut Vec<FaqEntry>, question: &mut Option<(u32, Vec<String>)>) {
    if let Some((number, parts)) = question.take() {
        let refs: Vec<&str> = parts.iter().map(String::as_str).collect();
        out.push(FaqEntry {
            number,
            question: join(&refs),
            answer: Vec::new(),
        });
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn questions_answers_and_wrapped_lines() {
        let text = "FOIRE AUX QUESTIONS\n\n1. Qu’est-ce que le PASS ? \nLe PASS est proposé par la Région Auvergne-Rhône-\nAlpes. Il remplace la carte.\nSuite.\n\n \n11. La convention impose 2 bons plans au\nminimum par an ? \nOui.\n\n2) pas une question\n";
        let faq = parse_faq(text);
        assert_eq!(faq.len(), 2, "{faq:?}");
        assert_eq!(faq[0].number, 1);
        assert_eq!(faq[0].question, "Qu’est-ce que le PASS ?");
        assert_eq!(
            faq[0].answer,
            vec![
                "Le PASS est proposé par la Région Auvergne-Rhône-Alpes. Il remplace la carte. Suite."
            ]
        );
        assert_eq!(
            faq[1].question,
            "La convention impose 2 bons plans au minimum par an ?"
        );
        assert_eq!(faq[1].answer, vec!["Oui.", "2) pas une question"]);
    }

    #[test]
    fn the_shipped_faq_has_its_seventeen_questions() {
        let faq = parse_faq(DEFAULT_FAQ);
        assert_eq!(faq.len(), 17);
        assert!(faq[16].answer.join(" ").contains("0810 559 559"));
        assert!(
            faq.iter()
                .all(|e| e.question.ends_with('?') && !e.answer.is_empty())
        );
    }

    proptest! {
        #[test]
        fn any_text_parses_without_panicking(s in "\\PC{0,400}") {
            let _ = parse_faq(&s);
        }
    }
}
