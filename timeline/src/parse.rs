//! Reading the text format (specified in the [crate documentation](crate)) into a
//! [`Trace`], with an error that names the line and what was expected.

use std::collections::HashMap;
use std::fmt;

use crate::model::{Trace, add_events};

/// Why a trace could not be read: the line (counting from 1) and what was wrong there.
///
/// ```
/// let err = timeline::parse("title T\ndescription D\nturn 0 h yield\n").unwrap_err();
/// assert_eq!(err.line(), 3);
/// assert_eq!(err.message(), "undeclared task `h`");
/// assert_eq!(err.to_string(), "line 3: undeclared task `h`");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    line: usize,
    message: String,
}

impl ParseError {
    /// The line, counting from 1. A missing `title` or `description` is reported on the
    /// last line (line 1 for an empty text).
    ///
    /// ```
    /// let err = timeline::parse("title T\n").unwrap_err();
    /// assert_eq!(err.line(), 1);
    /// ```
    pub fn line(&self) -> usize {
        self.line
    }

    /// What was wrong, without the line number.
    ///
    /// ```
    /// let err = timeline::parse("colour red\n").unwrap_err();
    /// assert!(err.message().starts_with("unknown directive `colour`"));
    /// ```
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for ParseError {}

/// Reads a trace in the text format (see the [crate documentation](crate)).
///
/// ```
/// let trace = timeline::parse(
///     "# two tasks, quanta 1\n\
///      title Hello\n\
///      description Two tasks take turns.\n\
///      task m main\n\
///      task h hello\n\
///      turn 0 m spawn -- spawned hello\n\
///      queue 0 h m\n\
///      turn 0 h print\n",
/// )
/// .unwrap();
/// assert_eq!(trace.title(), "Hello");
/// assert_eq!(trace.domains()[0].id, "0");
/// assert_eq!(trace.turns()[0].note.as_deref(), Some("spawned hello"));
/// assert_eq!(trace.turns()[1].queue, None);
/// ```
///
/// # Errors
///
/// The first line that breaks a rule of the format: an unknown directive, a directive
/// without its fields, an undeclared domain or task, a duplicate id, `title`,
/// `description` or `unit`, a queue without a turn before it or given twice, a time
/// that is not a whole number, an `at` earlier than the one before it, a span that ends
/// before it starts; or, at the end, a missing `title` or `description`, or an `events`
/// line that no turn of its domain follows (reported on that line).
///
/// ```
/// let err = timeline::parse("title T\ndescription D\nat 5\nat 2\n").unwrap_err();
/// assert_eq!(err.to_string(), "line 4: time goes backwards: `at 2` after `at 5` on line 3");
/// let err = timeline::parse("title T\ndescription D\ntask a\nturn 0 a yield\nevents 0 ready: a\n")
///     .unwrap_err();
/// assert_eq!(err.line(), 5);
/// assert!(err.message().starts_with("events after the last turn of domain `0`"));
/// ```
pub fn parse(text: &str) -> Result<Trace, ParseError> {
    let mut parser = Parser::default();
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut last = 1;
    for (i, line) in text.lines().enumerate() {
        last = i + 1;
        parser.line(i + 1, line).map_err(|message| ParseError {
            line: i + 1,
            message,
        })?;
    }
    parser.finish(last)
}

/// What the parser knows besides the trace: where things were declared, for messages.
#[derive(Default)]
struct Parser {
    trace: Option<Trace>,
    title: Option<(usize, String)>,
    description: Option<(usize, String)>,
    /// Where each domain was declared, and whether implicitly (by a turn, a queue or
    /// events).
    domains: HashMap<String, (usize, bool)>,
    tasks: HashMap<String, usize>,
    unit: Option<usize>,
    /// The line of the latest `at`.
    at: Option<usize>,
    /// The `events` lines waiting for the next turn of their domain: the first line,
    /// and the texts.
    events: HashMap<String, (usize, Vec<String>)>,
}

const DIRECTIVES: &str = "title, description, unit, domain, task, turn, queue, at, span or events";

impl Parser {
    fn trace(&mut self) -> &mut Trace {
        self.trace.get_or_insert_with(Trace::blank)
    }

    fn line(&mut self, n: usize, line: &str) -> Result<(), String> {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            return Ok(());
        }
        let (directive, rest) = split_word(line);
        match directive {
            "title" => Self::text(&mut self.title, "title", n, rest),
            "description" => Self::text(&mut self.description, "description", n, rest),
            "domain" => self.domain(n, rest),
            "task" => self.task(n, rest),
            "turn" => self.turn(n, rest),
            "queue" => self.queue(n, rest),
            "unit" => self.unit(n, rest),
            "at" => self.at(n, rest),
            "span" => self.span(rest),
            "events" => self.events(n, rest),
            other => Err(format!(
                "unknown directive `{other}` (expected {DIRECTIVES}, or `#` for a comment)"
            )),
        }
    }

    fn text(
        slot: &mut Option<(usize, String)>,
        name: &str,
        n: usize,
        rest: &str,
    ) -> Result<(), String> {
        if let Some((first, _)) = slot {
            return Err(format!(
                "duplicate `{name}` (the first one is on line {first})"
            ));
        }
        if rest.is_empty() {
            return Err(format!("expected text after `{name}`"));
        }
        *slot = Some((n, rest.to_string()));
        Ok(())
    }

    fn domain(&mut self, n: usize, rest: &str) -> Result<(), String> {
        let (id, label) = split_word(rest);
        if id.is_empty() {
            return Err("expected `domain ID [LABEL]`".to_string());
        }
        if let Some(&(first, implicit)) = self.domains.get(id) {
            return Err(if implicit {
                format!(
                    "duplicate domain id `{id}` (declared implicitly by line {first}: a \
                     trace that uses domain 0 before any `domain` line gets it for free)"
                )
            } else {
                format!("duplicate domain id `{id}` (declared on line {first})")
            });
        }
        self.trace().add_domain(id.to_string(), label.to_string())?;
        self.domains.insert(id.to_string(), (n, false));
        Ok(())
    }

    fn task(&mut self, n: usize, rest: &str) -> Result<(), String> {
        let (id, label) = split_word(rest);
        if id.is_empty() {
            return Err("expected `task ID [LABEL]`".to_string());
        }
        if let Some(first) = self.tasks.get(id) {
            return Err(format!(
                "duplicate task id `{id}` (declared on line {first})"
            ));
        }
        self.trace().add_task(id.to_string(), label.to_string())?;
        self.tasks.insert(id.to_string(), n);
        Ok(())
    }

    fn turn(&mut self, n: usize, rest: &str) -> Result<(), String> {
        const USAGE: &str = "expected `turn DOMAIN TASK STOP [-- NOTE]`";
        let (domain, rest) = split_word(rest);
        let (task, rest) = split_word(rest);
        if task.is_empty() {
            return Err(USAGE.to_string());
        }
        let (stop, note) = split_note(rest);
        if stop.is_empty() {
            return Err(format!("{USAGE}: the stop point is missing"));
        }
        self.default_domain(n);
        self.trace().add_turn(
            domain.to_string(),
            task.to_string(),
            stop.to_string(),
            note.map(str::to_string),
        )?;
        if let Some((_, texts)) = self.events.remove(domain) {
            let turn = self.trace().last_turn_mut().expect("the turn just added");
            for text in texts {
                add_events(turn, text)?;
            }
        }
        Ok(())
    }

    fn queue(&mut self, n: usize, rest: &str) -> Result<(), String> {
        let (domain, rest) = split_word(rest);
        if domain.is_empty() {
            return Err("expected `queue DOMAIN [TASK...]`".to_string());
        }
        let tasks = rest.split_whitespace().map(str::to_string).collect();
        self.default_domain(n);
        self.trace().set_queue(domain.to_string(), tasks)
    }

    fn unit(&mut self, n: usize, rest: &str) -> Result<(), String> {
        if let Some(first) = self.unit {
            return Err(format!(
                "duplicate `unit` (the first one is on line {first})"
            ));
        }
        self.trace().set_unit(rest.to_string())?;
        self.unit = Some(n);
        Ok(())
    }

    fn at(&mut self, n: usize, rest: &str) -> Result<(), String> {
        const USAGE: &str = "expected `at TIME`";
        let (time, extra) = split_word(rest);
        if time.is_empty() || !extra.is_empty() {
            return Err(USAGE.to_string());
        }
        let time = parse_time(time, USAGE)?;
        self.trace()
            .set_clock(time)
            .map_err(|message| match self.at {
                Some(first) => format!("{message} on line {first}"),
                None => message,
            })?;
        self.at = Some(n);
        Ok(())
    }

    fn span(&mut self, rest: &str) -> Result<(), String> {
        const USAGE: &str = "expected `span TASK START END [-- LABEL]`";
        let (task, rest) = split_word(rest);
        let (start, rest) = split_word(rest);
        let (end, rest) = split_word(rest);
        if end.is_empty() {
            return Err(USAGE.to_string());
        }
        let label = match rest.strip_prefix("--") {
            _ if rest.is_empty() => "",
            Some(label) if label.is_empty() || label.starts_with(char::is_whitespace) => {
                label.trim()
            }
            _ => return Err(format!("{USAGE}: the label comes after ` -- `")),
        };
        let (start, end) = (parse_time(start, USAGE)?, parse_time(end, USAGE)?);
        self.trace()
            .add_span(task.to_string(), start, end, label.to_string())
    }

    fn events(&mut self, n: usize, rest: &str) -> Result<(), String> {
        const USAGE: &str = "expected `events DOMAIN TEXT`";
        let (domain, text) = split_word(rest);
        if domain.is_empty() {
            return Err(USAGE.to_string());
        }
        if text.is_empty() {
            return Err(format!("{USAGE}: the text is missing"));
        }
        self.default_domain(n);
        self.trace().check_domain(domain)?;
        self.events
            .entry(domain.to_string())
            .or_insert_with(|| (n, Vec::new()))
            .1
            .push(text.to_string());
        Ok(())
    }

    /// The first turn or queue of a trace without domains declares domain 0.
    fn default_domain(&mut self, n: usize) {
        if self.trace().declare_default_domain() {
            self.domains.insert("0".to_string(), (n, true));
        }
    }

    fn finish(mut self, last: usize) -> Result<Trace, ParseError> {
        if let Some((domain, &(line, _))) = self.events.iter().min_by_key(|(_, (line, _))| *line) {
            return Err(ParseError {
                line,
                message: format!(
                    "events after the last turn of domain `{domain}` (an `events` line \
                     goes with the next turn of its domain, and none follows)"
                ),
            });
        }
        let missing = |name: &str| ParseError {
            line: last,
            message: format!("the trace has no `{name}` line (every trace needs one)"),
        };
        let (_, title) = self.title.take().ok_or_else(|| missing("title"))?;
        let (_, description) = self
            .description
            .take()
            .ok_or_else(|| missing("description"))?;
        let mut trace = self.trace.take().unwrap_or_else(Trace::blank);
        trace.set_title(title);
        trace.set_description(description);
        Ok(trace)
    }
}

/// A time: a whole number, 0 or more, in decimal digits.
fn parse_time(word: &str, usage: &str) -> Result<u64, String> {
    match word.parse::<u64>() {
        Ok(time) if word.bytes().all(|b| b.is_ascii_digit()) => Ok(time),
        _ => Err(format!(
            "{usage}: `{word}` is not a time (a whole number, 0 or more)"
        )),
    }
}

/// The first whitespace-separated word of `s` and the rest, trimmed.
fn split_word(s: &str) -> (&str, &str) {
    let s = s.trim();
    match s.find(char::is_whitespace) {
        Some(i) => (&s[..i], s[i..].trim()),
        None => (s, ""),
    }
}

/// Splits the end of a `turn` line at its first ` -- ` into the stop point and the note;
/// an empty note is none.
fn split_note(rest: &str) -> (&str, Option<&str>) {
    let rest = rest.trim();
    if rest == "--" || rest.starts_with("-- ") {
        return ("", None);
    }
    // Padded, so that a `--` at the end is a separator too (an empty note): the first
    // ` -- ` of ` REST ` starts at byte `i` of the padding, so at `i - 1` of `rest`.
    match format!(" {rest} ").find(" -- ") {
        Some(i) => {
            let note = rest.get(i + 3..).unwrap_or("").trim();
            (rest[..i - 1].trim(), (!note.is_empty()).then_some(note))
        }
        None => (rest, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = "title T\ndescription D\n";

    /// The error for `body` after the two header lines (so body line 1 is line 3).
    fn error(body: &str) -> String {
        parse(&format!("{HEAD}{body}")).unwrap_err().to_string()
    }

    #[test]
    fn a_full_trace_is_read_in_order() {
        let trace = parse(
            "# a comment\n\
             \n\
             title Hello and World, quanta 1\n\
             description Two tasks alternate.\n\
             domain 0 main\n\
             task h Hello\n\
             task w World\n\
             turn 0 h print -- printed \"Hello\"\n\
             queue 0 w h\n\
             turn 0 w print\n\
             queue 0\n",
        )
        .unwrap();
        assert_eq!(trace.title(), "Hello and World, quanta 1");
        assert_eq!(trace.description(), "Two tasks alternate.");
        assert_eq!(trace.domains()[0].label, "main");
        assert_eq!(trace.tasks()[1].label, "World");
        let turns = trace.turns();
        assert_eq!(turns.len(), 2);
        assert_eq!(turns[0].stop, "print");
        assert_eq!(turns[0].note.as_deref(), Some("printed \"Hello\""));
        assert_eq!(turns[0].queue, Some(vec!["w".into(), "h".into()]));
        assert_eq!(turns[1].note, None);
        assert_eq!(turns[1].queue, Some(vec![]));
    }

    #[test]
    fn a_stop_may_have_several_words_and_the_first_separator_starts_the_note() {
        let trace = parse(&format!(
            "{HEAD}task a A\nturn 0 a print \"A1\" -- did print \"A0\" -- twice\n\
             turn 0 a done --\n"
        ))
        .unwrap();
        assert_eq!(trace.turns()[0].stop, "print \"A1\"");
        assert_eq!(
            trace.turns()[0].note.as_deref(),
            Some("did print \"A0\" -- twice")
        );
        assert_eq!(trace.turns()[1].stop, "done");
        assert_eq!(trace.turns()[1].note, None);
    }

    #[test]
    fn labels_default_to_the_id_and_crlf_and_a_bom_are_accepted() {
        let trace = parse("\u{feff}title T\r\ndescription D\r\ndomain 3\r\ntask a\r\n").unwrap();
        assert_eq!(trace.domains()[0].label, "domain 3");
        assert_eq!(trace.tasks()[0].label, "a");
    }

    #[test]
    fn a_hash_inside_a_line_is_text() {
        let trace = parse(&format!("{HEAD}task a A #1\n")).unwrap();
        assert_eq!(trace.tasks()[0].label, "A #1");
    }

    #[test]
    fn a_declared_domain_stops_the_implicit_one() {
        assert_eq!(
            error("domain 1 w\ntask a A\nturn 0 a done\n"),
            "line 5: undeclared domain `0`"
        );
    }

    #[test]
    fn every_error_names_its_line() {
        assert_eq!(
            error("colour red\n"),
            "line 3: unknown directive `colour` (expected title, description, unit, domain, \
             task, turn, queue, at, span or events, or `#` for a comment)"
        );
        assert_eq!(
            error("title again\n"),
            "line 3: duplicate `title` (the first one is on line 1)"
        );
        assert_eq!(
            error("description again\n"),
            "line 3: duplicate `description` (the first one is on line 2)"
        );
        assert_eq!(
            parse("title\n").unwrap_err().to_string(),
            "line 1: expected text after `title`"
        );
        assert_eq!(error("domain\n"), "line 3: expected `domain ID [LABEL]`");
        assert_eq!(
            error("domain 0 a\ndomain 0 b\n"),
            "line 4: duplicate domain id `0` (declared on line 3)"
        );
        assert_eq!(
            error("task a A\nturn 0 a done\ndomain 0 main\n"),
            "line 5: duplicate domain id `0` (declared implicitly by line 4: a trace that \
             uses domain 0 before any `domain` line gets it for free)"
        );
        assert_eq!(error("task\n"), "line 3: expected `task ID [LABEL]`");
        assert_eq!(
            error("task a A\n\ntask a B\n"),
            "line 5: duplicate task id `a` (declared on line 3)"
        );
        assert_eq!(
            error("turn 0\n"),
            "line 3: expected `turn DOMAIN TASK STOP [-- NOTE]`"
        );
        assert_eq!(
            error("task a A\nturn 0 a -- a note\n"),
            "line 4: expected `turn DOMAIN TASK STOP [-- NOTE]`: the stop point is missing"
        );
        assert_eq!(
            error("task a A\nturn 0 a\n"),
            "line 4: expected `turn DOMAIN TASK STOP [-- NOTE]`: the stop point is missing"
        );
        assert_eq!(error("turn 0 b yield\n"), "line 3: undeclared task `b`");
        assert_eq!(
            error("task a A\nturn 1 a yield\n"),
            "line 4: undeclared domain `1`"
        );
        assert_eq!(
            error("queue\n"),
            "line 3: expected `queue DOMAIN [TASK...]`"
        );
        assert_eq!(
            error("queue 0\n"),
            "line 3: a queue must follow a turn, and domain `0` has had no turn yet"
        );
        assert_eq!(
            error("task a A\nturn 0 a yield\nqueue 0 b\n"),
            "line 5: undeclared task `b`"
        );
        assert_eq!(
            error("task a A\nturn 0 a yield\nqueue 0 a\nqueue 0\n"),
            "line 6: the queue after turn 1 of domain `0` is already given"
        );
        assert_eq!(
            error("task a A\nturn 9 a yield\n"),
            "line 4: undeclared domain `9`"
        );
    }

    #[test]
    fn times_go_to_the_turns_after_their_at() {
        let trace = parse(&format!(
            "{HEAD}unit ticks\ntask a A\nturn 0 a sleep\nat 0\nturn 0 a sleep\n\
             at 2\nat 2\nturn 0 a yield\nturn 0 a done\nat 7\n"
        ))
        .unwrap();
        let times: Vec<_> = trace.turns().iter().map(|t| t.time).collect();
        assert_eq!(times, [None, Some(0), Some(2), Some(2)]);
        assert_eq!(trace.time_unit(), Some("ticks"));
        assert_eq!(trace.clock(), Some(7));
        assert_eq!(trace.end_time(), 7);
        assert!(trace.uses_time());
    }

    #[test]
    fn spans_keep_their_order_and_their_labels() {
        let trace = parse(&format!(
            "{HEAD}task a A\ntask b B\nspan b 2 5 -- sleep 3 -- really\nspan a 0 0\n\
             span a 1 1 --\nspan a 2 3 --\tlabel\n"
        ))
        .unwrap();
        let spans: Vec<_> = trace
            .spans()
            .iter()
            .map(|s| (s.task.as_str(), s.start, s.end, s.label.as_deref()))
            .collect();
        assert_eq!(
            spans,
            [
                ("b", 2, 5, Some("sleep 3 -- really")),
                ("a", 0, 0, None),
                ("a", 1, 1, None),
                ("a", 2, 3, Some("label"))
            ]
        );
        // Spans alone make a trace use time, and the axis ends at the latest end.
        assert!(trace.uses_time());
        assert_eq!(trace.clock(), None);
        assert_eq!(trace.end_time(), 5);
    }

    #[test]
    fn events_go_with_the_next_turn_of_their_domain() {
        let trace = parse(&format!(
            "{HEAD}domain 0 main\ndomain 1 worker\ntask a A\ntask b B\n\
             events 1 ready: b\n\
             events 0 ready: a\n\
             turn 1 b read\n\
             events 1 timer 1\n\
             turn 0 a accept\n\
             events 1 ready: b, a\n\
             turn 1 b done\n\
             turn 0 a done\n"
        ))
        .unwrap();
        let events: Vec<_> = trace
            .turns()
            .iter()
            .map(|t| (t.domain.as_str(), t.events.as_deref()))
            .collect();
        assert_eq!(
            events,
            [
                ("1", Some("ready: b")),
                ("0", Some("ready: a")),
                ("1", Some("timer 1; ready: b, a")),
                ("0", None),
            ]
        );
    }

    #[test]
    fn an_events_line_declares_domain_0_like_a_turn() {
        let trace = parse(&format!(
            "{HEAD}task a A\nevents 0 ready: a\nturn 0 a read\n"
        ))
        .unwrap();
        assert_eq!(trace.domains()[0].id, "0");
        assert_eq!(trace.turns()[0].events.as_deref(), Some("ready: a"));
        assert_eq!(
            error("task a A\nevents 0 ready\nturn 0 a read\ndomain 0 main\n"),
            "line 6: duplicate domain id `0` (declared implicitly by line 4: a trace that \
             uses domain 0 before any `domain` line gets it for free)"
        );
    }

    #[test]
    fn every_error_of_the_new_directives_names_its_line() {
        assert_eq!(error("unit\n"), "line 3: expected text after `unit`");
        assert_eq!(
            error("unit ms\n\nunit s\n"),
            "line 5: duplicate `unit` (the first one is on line 3)"
        );
        assert_eq!(error("at\n"), "line 3: expected `at TIME`");
        assert_eq!(error("at 1 2\n"), "line 3: expected `at TIME`");
        for bad in ["-1", "+1", "1.5", "x", "18446744073709551616"] {
            assert_eq!(
                error(&format!("at {bad}\n")),
                format!(
                    "line 3: expected `at TIME`: `{bad}` is not a time (a whole number, 0 or more)"
                )
            );
        }
        assert_eq!(
            error("at 5\ntask a A\nat 5\nturn 0 a yield\nat 4\n"),
            "line 7: time goes backwards: `at 4` after `at 5` on line 5"
        );
        assert_eq!(
            error("task a A\nspan a 1\n"),
            "line 4: expected `span TASK START END [-- LABEL]`"
        );
        assert_eq!(
            error("task a A\nspan a 1 x\n"),
            "line 4: expected `span TASK START END [-- LABEL]`: `x` is not a time (a whole \
             number, 0 or more)"
        );
        assert_eq!(
            error("task a A\nspan a 1 2 --sleep\n"),
            "line 4: expected `span TASK START END [-- LABEL]`: the label comes after ` -- `"
        );
        assert_eq!(
            error("task a A\nspan a 1 2 sleep\n"),
            "line 4: expected `span TASK START END [-- LABEL]`: the label comes after ` -- `"
        );
        assert_eq!(
            error("task a A\nspan a 3 1 -- sleep\n"),
            "line 4: the span of `a` ends at 1, before it starts at 3"
        );
        assert_eq!(error("span b 0 1\n"), "line 3: undeclared task `b`");
        assert_eq!(error("events\n"), "line 3: expected `events DOMAIN TEXT`");
        assert_eq!(
            error("events 0\n"),
            "line 3: expected `events DOMAIN TEXT`: the text is missing"
        );
        assert_eq!(
            error("domain 0 main\nevents 1 ready\n"),
            "line 4: undeclared domain `1`"
        );
        // An events line that no turn of its domain follows: reported on its own line,
        // the earliest of them when there are several.
        assert_eq!(
            error(
                "domain 0 main\ndomain 1 w\ntask a A\nturn 0 a yield\nevents 1 ready: x\n\
                 events 0 ready: a\nevents 1 ready: y\nturn 1 a yield\nevents 0 ready: b\n"
            ),
            "line 8: events after the last turn of domain `0` (an `events` line goes with \
             the next turn of its domain, and none follows)"
        );
        assert_eq!(
            error("task a A\nevents 0 ready: a\n").split(':').next(),
            Some("line 4")
        );
    }

    #[test]
    fn a_missing_title_or_description_is_reported_on_the_last_line() {
        assert_eq!(
            parse("").unwrap_err().to_string(),
            "line 1: the trace has no `title` line (every trace needs one)"
        );
        assert_eq!(
            parse("description D\ntask a A\n").unwrap_err().to_string(),
            "line 2: the trace has no `title` line (every trace needs one)"
        );
        assert_eq!(
            parse("title T\n\n").unwrap_err().to_string(),
            "line 2: the trace has no `description` line (every trace needs one)"
        );
    }

    #[test]
    fn bad_input_never_panics() {
        for text in [
            "\u{0}",
            "turn",
            "turn  \t ",
            "queue 0 -- --",
            "title é\ndescription ü\ntask ☃ ☃\nturn 0 ☃ ☃ -- ☃",
            "title t\ndescription d\ntask a\nturn 0 a  --  ",
            "title t\ndescription d\ntask a\nturn 0 a x -- ",
            "title t\ndescription d\ntask a\nspan a 0 18446744073709551615\nat 18446744073709551615\n",
            "title t\ndescription d\ntask a\nspan a -- -- --",
            "events 0 --\nat\tx",
        ] {
            let _ = parse(text);
        }
    }

    #[test]
    fn split_note_handles_every_edge() {
        assert_eq!(split_note("print"), ("print", None));
        assert_eq!(split_note("print -- n"), ("print", Some("n")));
        assert_eq!(split_note("print --"), ("print", None));
        assert_eq!(split_note("print --x"), ("print --x", None));
        assert_eq!(split_note("-- n"), ("", None));
        assert_eq!(split_note("--"), ("", None));
        assert_eq!(split_note("a -- b --"), ("a", Some("b --")));
        // The note `--`, as `Trace::to_text` writes it: the first ` -- ` splits.
        assert_eq!(split_note("s -- --"), ("s", Some("--")));
    }
}
