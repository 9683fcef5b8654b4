//! What the command-line imports share (issue 16; ADR 0035): a CSV file
//! with a header line (`;` or `,`, found on the header), its columns found by
//! name, every line checked before anything is written, and every bad line
//! reported with its number and a French message.

use std::collections::HashSet;

/// A line that cannot be imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    /// Line number in the file (the header is line 1).
    pub line: usize,
    /// Why, in French.
    pub message: String,
}

/// A line's error.
pub fn line_error(line: usize, message: &str) -> LineError {
    LineError {
        line,
        message: message.to_owned(),
    }
}

/// A file read: its header (lower-cased) and its records with their line
/// numbers.
#[derive(Debug)]
pub struct CsvFile {
    /// The header's cells, trimmed and lower-cased.
    pub header: Vec<String>,
    records: Vec<(usize, csv::StringRecord)>,
    unreadable: Vec<LineError>,
}

/// Reads a file (a byte-order mark is ignored). An unreadable header is
/// an error; unreadable records are reported by [`CsvFile::check_all`].
pub fn read(text: &str) -> Result<CsvFile, Vec<LineError>> {
    let text = text.trim_start_matches('\u{feff}');
    let first = text.lines().next().unwrap_or("");
    let delimiter = if first.contains(';') { b';' } else { b',' };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(text.as_bytes());
    let header: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(|c| c.to_lowercase()).collect(),
        Err(_) => return Err(vec![line_error(1, "en-tête illisible")]),
    };
    let (mut records, mut unreadable) = (Vec::new(), Vec::new());
    for (i, record) in reader.records().enumerate() {
        match record {
            Ok(r) if r.iter().all(str::is_empty) => {}
            Ok(r) => {
                let line = r.position().map_or(i + 2, |p| p.line() as usize);
                records.push((line, r));
            }
            Err(e) => {
                let line = e.position().map_or(i + 2, |p| p.line() as usize);
                unreadable.push(line_error(line, "ligne illisible (guillemets ou encodage)"));
            }
        }
    }
    Ok(CsvFile {
        header,
        records,
        unreadable,
    })
}

impl CsvFile {
    /// The positions of required columns, or the header's error naming them.
    pub fn columns<const N: usize>(&self, names: [&str; N]) -> Result<[usize; N], Vec<LineError>> {
        let mut out = [0; N];
        for (slot, name) in out.iter_mut().zip(names) {
            *slot = self.column(name).ok_or_else(|| {
                vec![line_error(
                    1,
                    &format!("colonnes attendues : {}", names.join(", ")),
                )]
            })?;
        }
        Ok(out)
    }

    /// The position of an optional column.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }

    /// How many records (lines that are not empty).
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether the file has no record.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Checks every record with `check(line, cells)`: the rows, or every
    /// bad line's error (in the file's order).
    pub fn check_all<T>(
        &self,
        mut check: impl FnMut(usize, &Cells<'_>) -> Result<T, String>,
    ) -> Result<Vec<T>, Vec<LineError>> {
        let mut errors = self.unreadable.clone();
        let mut rows = Vec::new();
        for (line, record) in &self.records {
            match check(*line, &Cells(record)) {
                Ok(row) => rows.push(row),
                Err(message) => errors.push(LineError {
                    line: *line,
                    message,
                }),
            }
        }
        errors.sort_by_key(|e| e.line);
        if errors.is_empty() {
            Ok(rows)
        } else {
            Err(errors)
        }
    }
}

/// The cells of one record.
pub struct Cells<'a>(&'a csv::StringRecord);

impl Cells<'_> {
    /// The cell of a column (`""` when the line is short).
    pub fn get(&self, column: usize) -> &str {
        self.0.get(column).unwrap_or("")
    }

    /// The cell of an optional column (`None` when absent or empty).
    pub fn optional(&self, column: Option<usize>) -> Option<&str> {
        column.map(|c| self.get(c)).filter(|v| !v.is_empty())
    }
}

/// A date written `AAAA-MM-JJ` or `JJ/MM/AAAA`; `what` names it in the error.
pub fn date(text: &str, what: &str) -> Result<chrono::NaiveDate, String> {
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .or_else(|_| chrono::NaiveDate::parse_from_str(text, "%d/%m/%Y"))
        .map_err(|_| format!("{what} invalide (AAAA-MM-JJ ou JJ/MM/AAAA)"))
}

/// The French message of a refused value (the one the API would answer).
pub fn message(e: crate::error::ServiceError) -> String {
    match e {
        crate::error::ServiceError::Invalid { message, .. } => message,
        other => crate::web::problem::ApiError::from(other).message,
    }
}

/// Keys already seen in a file (a SIRET, an e-mail, a UAI): the second
/// line with one is an error.
#[derive(Debug, Default)]
pub struct Seen(HashSet<String>);

impl Seen {
    /// `Err` naming `what` when `key` was seen on an earlier line.
    pub fn first(&mut self, key: &str, what: &str) -> Result<(), String> {
        if self.0.insert(key.to_owned()) {
            Ok(())
        } else {
            Err(format!("{what} en double dans le fichier"))
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn lines_keep_their_numbers_and_every_error_is_kept() {
        let file = read("\u{feff}A;B\n1;x\n\n2;y\n1;z\n").unwrap();
        let [a, b] = file.columns(["a", "b"]).unwrap();
        assert!(
            file.columns(["a", "c"]).unwrap_err()[0]
                .message
                .contains("a, c")
        );
        let mut seen = Seen::default();
        let errors = file
            .check_all(|_, cells| {
                seen.first(cells.get(a), "clé")?;
                Ok(cells.get(b).to_owned())
            })
            .unwrap_err();
        assert_eq!(errors, vec![line_error(5, "clé en double dans le fichier")]);
        assert_eq!(file.len(), 3);
        assert_eq!(date("14/03/2009", "date"), date("2009-03-14", "date"));
        assert!(
            date("2009-02-30", "date")
                .unwrap_err()
                .contains("date invalide")
        );
    }
}
