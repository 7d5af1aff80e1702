"""The `tiendo` command line: parse, call one library function, report errors in one line."""

from __future__ import annotations

import json
import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from nlp import MODELS
from nlp.errors import TiendoError

app = typer.Typer(
    name="tiendo",
    help="Extract projects, amounts, dates and statuses from Vietnamese progress reports.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


ReportFile = Annotated[
    Path, typer.Argument(help="Report file: .txt/.md (bundled layout), .html, .docx, .xlsx, .csv.")
]
ModelsFolder = Annotated[
    Path,
    typer.Option(
        help="Models folder (default: the models that come with tiendo).", show_default=False
    ),
]
OutputFile = Annotated[
    Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")
]


@app.callback()
def main() -> None:
    """tiendo reads progress reports, tags their entities and relations, and answers questions."""


class ReadFormat(StrEnum):
    table = "table"
    jsonl = "jsonl"


def _fail(error: Exception) -> typer.Exit:
    """Print `error` as one line on stderr and return the exit to raise."""
    typer.echo(f"error: {error}", err=True)
    return typer.Exit(code=2)


@app.command()
def read(
    file: ReportFile,
    format: Annotated[
        ReadFormat,
        typer.Option("--format", "-f", help="table: a readable table; jsonl: schema records."),
    ] = ReadFormat.table,
    output: OutputFile = None,
    width: Annotated[int, typer.Option(help="Characters shown per cell in the table.")] = 160,
) -> None:
    """Read a report and print its rows: the cells of each table row, rebuilt.

    With --format jsonl each line is one row as the annotation schema's record,
    with empty entities and relations and the source offsets of every cell.
    """
    from nlp.formats import read_any
    from nlp.reader import CELLS

    try:
        report = read_any(file)
    except TiendoError as error:
        raise _fail(error) from None
    if format is ReadFormat.jsonl:
        lines = (json.dumps(row.to_record(), ensure_ascii=False) for row in report.rows)
        _write_lines(lines, output)
        return
    table = Table(title=f"{report.id}: {len(report.rows)} rows", show_lines=True)
    table.add_column("row", justify="right")
    for name in CELLS:
        table.add_column(name, overflow="fold")
    for row in report.rows:
        table.add_row(str(row.index), *(_clip(row.text(name), width) for name in CELLS))
    console = Console(file=output.open("w", encoding="utf-8") if output else None)
    console.print(table)


class ExtractFormat(StrEnum):
    jsonl = "jsonl"
    table = "table"


@app.command()
def extract(
    file: ReportFile,
    format: Annotated[
        ExtractFormat,
        typer.Option("--format", "-f", help="jsonl: schema records; table: one line per entity."),
    ] = ExtractFormat.jsonl,
    output: OutputFile = None,
    models: ModelsFolder = MODELS,
    jobs: Annotated[
        int, typer.Option("--jobs", "-j", help="Processes to share the rows (default: cores).")
    ] = 0,
) -> None:
    """Extract entities (with values) and relations from every row of a report."""
    from rich.progress import Progress

    from nlp.formats import read_any
    from nlp.pipeline import extract as run_extract

    try:
        report = read_any(file)
        with Progress(console=Console(stderr=True), transient=True) as bar:
            task = bar.add_task("extracting", total=len(report.rows))
            records = run_extract(
                report, models, progress=lambda: bar.advance(task), jobs=jobs or os.cpu_count() or 1
            )
    except TiendoError as error:
        raise _fail(error) from None
    if format is ExtractFormat.jsonl:
        _write_lines((json.dumps(r, ensure_ascii=False) for r in records), output)
        return
    table = Table(title=f"{report.id}: entities")
    for column in ("row", "cell", "label", "text", "value"):
        table.add_column(column, overflow="fold")
    for record in records:
        for entity in record["entities"]:
            value = entity.get("value")
            table.add_row(
                str(record["row"]),
                entity["cell"],
                entity["label"],
                entity["text"],
                json.dumps(value, ensure_ascii=False) if value is not None else "",
            )
    console = Console(file=output.open("w", encoding="utf-8") if output else None)
    console.print(table)


@app.command()
def annotate(
    file: Annotated[Path, typer.Argument(help="A new report to pre-annotate.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="File to write.")],
    label_studio: Annotated[
        bool, typer.Option("--label-studio", help="Write Label Studio tasks with predictions.")
    ] = False,
    models: ModelsFolder = MODELS,
) -> None:
    """Pre-annotate a new report with the models, for a person to correct.

    Writes schema records (every row "reviewed": false) or, with
    --label-studio, Label Studio tasks whose regions are predictions. Import
    the corrected tasks with `tiendo annotations import`.
    """
    from nlp.formats import read_any
    from nlp.pipeline import extract as run_extract

    try:
        report = read_any(file)
        records = run_extract(report, models)
    except TiendoError as error:
        raise _fail(error) from None
    rows = {row.index: row for row in report.rows}
    for record in records:
        record["reviewed"] = False
        record["cells"] = {
            name: rows[record["row"]].text(name)
            for name in ("assignee", "task", "result", "plan", "notes")
            if rows[record["row"]].text(name)
        }
    if label_studio:
        from nlp.corpus import to_label_studio

        tasks = to_label_studio(records, predictions=True)
        output.write_text(json.dumps(tasks, ensure_ascii=False, indent=1), encoding="utf-8")
    else:
        _write_lines((json.dumps(r, ensure_ascii=False) for r in records), output)
    typer.echo(f"{len(records)} rows pre-annotated → {output}; correct them, then validate")


class Backend(StrEnum):
    crf = "crf"
    transformers = "transformers"


@app.command()
def train(
    gold: Annotated[Path, typer.Option(help="Gold JSONL folder.")] = Path("annotations/gold"),
    splits: Annotated[Path, typer.Option(help="Splits file.")] = Path("annotations/splits.json"),
    models: Annotated[
        Path,
        typer.Option(
            help="Models folder to write (default: the models that come with tiendo).",
            show_default=False,
        ),
    ] = MODELS,
    intents: Annotated[Path, typer.Option(help="Question examples for `ask`.")] = Path(
        "training/intents.jsonl"
    ),
    backend: Annotated[
        Backend, typer.Option(help="crf (default) or transformers (needs the extra).")
    ] = Backend.crf,
    base_model: Annotated[
        Path | None,
        typer.Option(help="Local checkpoint folder (PhoBERT, XLM-R) for --backend transformers."),
    ] = None,
    epochs: Annotated[int, typer.Option(help="Epochs for --backend transformers.")] = 3,
) -> None:
    """Train the entity tagger, STATUS, relation and question classifiers; write models/."""
    from nlp.evaluate import train_ner

    try:
        if backend is Backend.transformers:
            try:
                from nlp.evaluate import train_transformer
            except ImportError:
                raise _fail(
                    "the transformers backend needs: pip install -e '.[transformers]'"
                ) from None
            card = train_transformer(gold, splits, models, base_model, epochs)
        else:
            card = train_ner(gold, splits, models, progress=lambda m: typer.echo(m, err=True))
    except ImportError:
        raise _fail("the transformers backend needs: pip install -e '.[transformers]'") from None
    except TiendoError as error:
        raise _fail(error) from None
    metrics = card["metrics"]
    typer.echo(
        f"entities: trained in {card['training_seconds']} s; test micro-F1 strict "
        f"{metrics['test_micro_f1_strict']:.3f}, partial {metrics['test_micro_f1_partial']:.3f}"
    )
    _train_relations(gold, splits, models)
    from nlp.ask import IntentClassifier

    (models / "intent").mkdir(parents=True, exist_ok=True)
    IntentClassifier.train(intents).save(models / "intent" / "intent.json")
    typer.echo(f"intents: trained on {intents}")


def _train_relations(gold: Path, splits: Path, models: Path) -> None:
    try:
        from nlp.relations import train_relations
    except ImportError:
        return
    try:
        card = train_relations(gold, splits, models)
    except TiendoError as error:
        raise _fail(error) from None
    typer.echo(f"relations: test micro-F1 {card['metrics']['test_micro_f1_gold_entities']:.3f}")


@app.command("eval")
def evaluate(
    gold: Annotated[Path, typer.Option(help="Gold JSONL folder.")] = Path("annotations/gold"),
    splits: Annotated[Path, typer.Option(help="Splits file.")] = Path("annotations/splits.json"),
    models: ModelsFolder = MODELS,
    output: Annotated[Path, typer.Option(help="Markdown report to write.")] = Path(
        "eval/results/ner.md"
    ),
) -> None:
    """Score the models on the test split beside the baselines; print and write the results."""
    from nlp.evaluate import evaluate_ner

    try:
        _, text = evaluate_ner(gold, splits, models, output)
    except TiendoError as error:
        raise _fail(error) from None
    typer.echo(text)
    try:
        from nlp.relations import evaluate_relations
    except ImportError:
        return
    typer.echo(evaluate_relations(gold, splits, models)[1])


DbOption = Annotated[
    Path | None,
    typer.Option("--db", help="Knowledge base file (default: $TIENDO_DB or ./tiendo.db)."),
]


def _kb(db: Path | None):
    from nlp.kb import KnowledgeBase

    return KnowledgeBase(db)


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Report files, folders or globs.")],
    db: DbOption = None,
    models: ModelsFolder = MODELS,
    jobs: Annotated[
        int, typer.Option("--jobs", "-j", help="Worker processes (default: CPU cores).")
    ] = 0,
) -> None:
    """Read, tag and store reports in the knowledge base; one line per failure, a summary.

    Each report goes in whole or not at all; the same file twice changes
    nothing; a changed version of a report replaces its facts. Exit code 0
    only when every file went in.
    """
    from nlp.batch import ingest_paths

    try:
        with _kb(db) as kb:
            summary = ingest_paths(paths, kb, models, jobs=jobs or None)
    except TiendoError as error:
        raise _fail(error) from None
    for line in summary.lines():
        typer.echo(line, err=line.startswith("failed"))
    if summary.failed:
        raise typer.Exit(code=1)


class ProjectsFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


class StatusChoice(StrEnum):
    delayed = "delayed"
    blocked = "blocked"
    completed = "completed"
    in_progress = "in_progress"
    not_started = "not_started"
    not_achieved = "not_achieved"


@app.command()
def projects(
    status: Annotated[
        StatusChoice | None,
        typer.Option(
            help="Keep one status; delayed = late or held up (delayed, blocked, overdue)."
        ),
    ] = None,
    format: Annotated[ProjectsFormat, typer.Option("--format", "-f")] = ProjectsFormat.table,
    db: DbOption = None,
) -> None:
    """List the projects of the knowledge base with status, evidence and source."""
    try:
        with _kb(db) as kb:
            if status is StatusChoice.delayed:
                found = kb.projects(delayed=True)
            else:
                found = kb.projects(status=status.value if status else None)
    except TiendoError as error:
        raise _fail(error) from None
    if format is ProjectsFormat.json:
        typer.echo(json.dumps(found, ensure_ascii=False, indent=1))
        return
    if format is ProjectsFormat.csv:
        import csv

        writer = csv.writer(sys.stdout)
        writer.writerow(["name", "aliases", "status", "delayed", "as_of", "evidence", "source"])
        for p in found:
            writer.writerow(
                [
                    p["name"],
                    "; ".join(p["aliases"]),
                    p["status"] or "",
                    p["delayed"],
                    p["as_of"] or "",
                    p["evidence"] or "",
                    json.dumps(p["source"], ensure_ascii=False),
                ]
            )
        return
    table = Table(title=f"{len(found)} projects", show_lines=True)
    for column in ("project", "status", "evidence", "source"):
        table.add_column(column, overflow="fold")
    for p in found:
        src = p["source"]
        where = (
            f"{src['report']} row {src['row']} {src['cell']} {src['start']}–{src['end']}"
            if src
            else ""
        )
        status_text = (p["status"] or "") + (" (late)" if p["delayed"] else "")
        table.add_row(p["name"], status_text, p["evidence"] or "", where)
    Console().print(table)


@app.command()
def show(
    name: Annotated[str, typer.Argument(help="Project name (fuzzy, diacritics optional).")],
    db: DbOption = None,
) -> None:
    """Show every fact known about a project, with evidence and source."""
    try:
        with _kb(db) as kb:
            found = kb.find_projects(name, limit=1)
            if not found:
                raise _fail(f"no project matches “{name}”; list them with `tiendo projects`")
            project = kb.project_by_id(found[0]["id"])
            facts = kb.facts(found[0]["id"])
    except TiendoError as error:
        raise _fail(error) from None
    console = Console()
    console.print(
        f"[bold]{project['name']}[/bold]  status: {project['status'] or '–'}"
        f"{' (late)' if project['delayed'] else ''}"
    )
    console.print(f"aliases: {'; '.join(project['aliases'])}")
    table = Table(show_lines=True)
    for column in ("relation", "value", "evidence", "source"):
        table.add_column(column, overflow="fold")
    for fact in facts:
        src = fact["source"]
        table.add_row(
            f"{fact['relation']}{'/' + fact['role'] if fact['role'] else ''}",
            fact["text"],
            fact["evidence"],
            f"{src['report']} row {src['row']} {src['cell']} {src['start']}–{src['end']}",
        )
    console.print(table)


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="A question in Vietnamese, diacritics optional.")],
    db: DbOption = None,
    models: ModelsFolder = MODELS,
) -> None:
    """Answer a question about the projects, with the source of each answer."""
    from nlp.ask import answer

    try:
        with _kb(db) as kb:
            reply = answer(question, kb, models)
    except TiendoError as error:
        raise _fail(error) from None
    typer.echo(reply.text)


class ExportKind(StrEnum):
    csv = "csv"
    xlsx = "xlsx"
    json = "json"


@app.command()
def export(
    output: Annotated[Path, typer.Argument(help="File to write.")],
    format: Annotated[
        ExportKind | None,
        typer.Option(
            "--format",
            "-f",
            help="Default: from the file's extension (.csv, .xlsx, .json), else csv.",
        ),
    ] = None,
    db: DbOption = None,
) -> None:
    """Export projects and their facts (with evidence and source) as CSV, XLSX or JSON."""
    if format is None:
        suffix = output.suffix.lower().lstrip(".")
        format = ExportKind(suffix) if suffix in {k.value for k in ExportKind} else ExportKind.csv
    try:
        with _kb(db) as kb:
            facts = list(kb.export_rows())
            found = kb.projects()
    except TiendoError as error:
        raise _fail(error) from None
    columns = [
        "project",
        "relation",
        "role",
        "label",
        "text",
        "value",
        "evidence",
        "report",
        "row",
        "cell",
        "start",
        "end",
    ]
    if format is ExportKind.json:
        output.write_text(
            json.dumps({"projects": found, "facts": facts}, ensure_ascii=False, indent=1),
            encoding="utf-8",
        )
    elif format is ExportKind.csv:
        import csv

        with output.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=columns)
            writer.writeheader()
            writer.writerows(facts)
    else:
        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        sheet.title = "facts"
        sheet.append(columns)
        for fact in facts:
            sheet.append([fact[c] for c in columns])
        summary = book.create_sheet("projects")
        summary.append(["name", "aliases", "status", "delayed", "as_of", "evidence"])
        for p in found:
            summary.append(
                [
                    p["name"],
                    "; ".join(p["aliases"]),
                    p["status"],
                    p["delayed"],
                    p["as_of"],
                    p["evidence"],
                ]
            )
        book.save(output)
    typer.echo(f"{len(found)} projects, {len(facts)} facts → {output}")


annotations_app = typer.Typer(
    help="Gold annotations: resolve drafts, validate, count.", no_args_is_help=True
)
app.add_typer(annotations_app, name="annotations")


@annotations_app.command("resolve")
def annotations_resolve(
    draft: Annotated[Path, typer.Argument(help="Draft JSONL: entities by text, no offsets.")],
    report: Annotated[Path, typer.Option(help="The report the rows come from.")] = Path(
        "annotations/reports/bentre-2023-phu-luc-8.txt"
    ),
    output: Annotated[Path, typer.Option("--output", "-o", help="Gold JSONL to write.")] = Path(
        "gold.jsonl"
    ),
) -> None:
    """Resolve a draft into gold records: find each entity text in its cell, add offsets."""
    from nlp.annotations import read_records, resolve_draft
    from nlp.reader import read_report

    try:
        source = read_report(report)
        records = [resolve_draft(d, source) for d in read_records(draft)]
    except TiendoError as error:
        raise _fail(error) from None
    _write_validated(records, output, str(draft))


@annotations_app.command("validate")
def annotations_validate(
    path: Annotated[Path, typer.Argument(help="A gold JSONL file or a folder of them.")] = Path(
        "annotations/gold"
    ),
) -> None:
    """Check gold records against the schema; exit 1 with row and reason on any error."""
    from nlp.annotations import gold_files, read_records, validate

    try:
        files = gold_files(path)
        problems = [p for f in files for p in validate(read_records(f), str(f))]
    except TiendoError as error:
        raise _fail(error) from None
    _report(problems, f"{len(files)} files, {len(problems)} problems")


@annotations_app.command("stats")
def annotations_stats(
    path: Annotated[Path, typer.Argument(help="A gold JSONL file or a folder of them.")] = Path(
        "annotations/gold"
    ),
) -> None:
    """Count entities per label, relations, roles, status values and rows per section."""
    from nlp.annotations import iter_gold, stats

    try:
        counts = stats(record for _, record in iter_gold(path))
    except TiendoError as error:
        raise _fail(error) from None
    console = Console()
    for key in ("totals", "labels", "status", "relations", "roles", "sections"):
        table = Table(title=key)
        table.add_column(key)
        table.add_column("count", justify="right")
        for name, count in sorted(counts[key].items()):
            table.add_row(name, str(count))
        console.print(table)


class ExportFormat(StrEnum):
    conll = "conll"
    docbin = "docbin"
    label_studio = "label-studio"


@annotations_app.command("export")
def annotations_export(
    output: Annotated[Path, typer.Argument(help="File to write (.conll, .spacy or .json).")],
    format: Annotated[
        ExportFormat, typer.Option("--format", "-f", help="conll, docbin or label-studio.")
    ],
    gold: Annotated[Path, typer.Option(help="Gold JSONL file or folder.")] = Path(
        "annotations/gold"
    ),
) -> None:
    """Convert gold records to CoNLL BIO, a spaCy DocBin or Label Studio tasks."""
    from nlp import corpus
    from nlp.annotations import iter_gold

    try:
        records = [record for _, record in iter_gold(gold)]
    except TiendoError as error:
        raise _fail(error) from None
    if format is ExportFormat.conll:
        output.write_text(corpus.to_conll(records), encoding="utf-8")
    elif format is ExportFormat.docbin:
        corpus.to_docbin(records).to_disk(output)
    else:
        tasks = corpus.to_label_studio(records)
        output.write_text(json.dumps(tasks, ensure_ascii=False, indent=1), encoding="utf-8")
    typer.echo(f"{len(records)} rows → {output}")


@annotations_app.command("import")
def annotations_import(
    tasks: Annotated[
        Path, typer.Argument(help="Label Studio JSON export of corrected tasks, or CoNLL BIO.")
    ],
    output: Annotated[Path, typer.Option("--output", "-o", help="Gold JSONL to write.")],
    conll_report: Annotated[
        Path | None,
        typer.Option("--conll-report", help="Read CoNLL BIO; its rows come from this report."),
    ] = None,
) -> None:
    """Import corrected Label Studio tasks (or CoNLL BIO) back into gold records, validated.

    CoNLL holds no values or relations: records read from it are checked as
    predictions (values may be missing) and need their values added.
    """
    from nlp.corpus import from_conll, from_label_studio

    try:
        if conll_report is not None:
            from nlp.formats import read_any

            records = from_conll(tasks.read_text(encoding="utf-8"), read_any(conll_report))
        else:
            records = from_label_studio(json.loads(tasks.read_text(encoding="utf-8")))
    except TiendoError as error:
        raise _fail(error) from None
    except (OSError, ValueError, KeyError, IndexError) as error:
        raise _fail(f"{tasks}: not an export of tiendo records ({error})") from None
    _write_validated(records, output, str(tasks), predictions=conll_report is not None)


@annotations_app.command("split")
def annotations_split(
    gold: Annotated[Path, typer.Option(help="Gold JSONL file or folder.")] = Path(
        "annotations/gold"
    ),
    output: Annotated[Path, typer.Option("--output", "-o")] = Path("annotations/splits.json"),
    new: Annotated[
        bool, typer.Option("--new", help="Split afresh instead of keeping existing splits.")
    ] = False,
) -> None:
    """Split whole sections into train/dev/test and record it in splits.json.

    Sections already in the file keep their split and new sections go to
    train, unless --new.
    """
    from nlp.annotations import iter_gold
    from nlp.corpus import load_splits, make_splits

    previous = load_splits(output) if output.exists() and not new else None
    try:
        splits = make_splits((record for _, record in iter_gold(gold)), previous=previous)
    except TiendoError as error:
        raise _fail(error) from None
    output.write_text(json.dumps(splits, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    typer.echo(f"train/dev/test entities: {splits['entities']} → {output}")


def _report(problems: list, summary: str) -> None:
    """Print each problem on stderr, then the summary; exit 1 if there was any."""
    for problem in problems:
        typer.echo(str(problem), err=True)
    typer.echo(summary)
    if problems:
        raise typer.Exit(code=1)


def _write_validated(
    records: list[dict], output: Path, source: str, predictions: bool = False
) -> None:
    """Write records, reporting every schema problem (exit 1 if any)."""
    from nlp.annotations import validate, write_records

    problems = validate(records, source, predictions=predictions)
    write_records(records, output)
    _report(problems, f"{len(records)} rows → {output}; {len(problems)} problems")


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _write_lines(lines, output: Path | None) -> None:
    if output is None:
        for line in lines:
            sys.stdout.write(line + "\n")
        return
    with output.open("w", encoding="utf-8") as handle:
        for line in lines:
            handle.write(line + "\n")


if __name__ == "__main__":
    app()
