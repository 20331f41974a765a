"""The uncertainty calculator page: build a model (or paste / upload a model file), run it
by the GUM, Monte Carlo or both, and read the budget and the histogram.

A calculator, like ``POST /api/uncertainty/evaluate/``: open to everyone, it reads and
writes nothing, and it is throttled by the same throttles as that API (the same counters,
so the page is no way round the API's rate). Bad input comes back next to the field it
names, with the form as it was typed. HTMX swaps the calculator in place; without
JavaScript every button is an ordinary form submit and the page works the same.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field

from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from jiliang.core.uncertainty import ModelError, evaluate_document
from jiliang.messages import reason as localised_reason

from .api.views import MAX_TRIALS, UncertaintyEvaluateView, deadline
from .builder import COLUMN_LABELS, DISTRIBUTIONS, FIELD_LABELS, MAX_ROWS, Builder, Row
from .examples import EXAMPLES
from .results import present

DEFAULT_TRIALS = min(1_000_000, MAX_TRIALS)  # JCGM 101 7.2.1: 10^6 usually gives two good digits
MAX_DOCUMENT_BYTES = 256 * 1024
METHODS = ("gum", "mc", "both")


class DocumentError(ValueError):
    pass


@dataclass
class RunOptions:
    """How to run the model: method, Monte Carlo trials and seed (as typed)."""

    method: str = "both"
    trials: str = str(DEFAULT_TRIALS)
    seed: str = ""
    errors: dict = field(default_factory=dict)
    seed_used: int | None = None

    @classmethod
    def from_post(cls, data) -> RunOptions:
        return cls(
            method=str(data.get("method", "both")),
            trials=str(data.get("trials", DEFAULT_TRIALS)).strip(),
            seed=str(data.get("seed", "")).strip(),
        )

    def parse(self) -> tuple[str, int | None, int | None] | None:
        """(method, trials, seed) for the core, or None with ``errors`` set."""
        if self.method not in METHODS:
            self.errors["method"] = _("须为 GUM、蒙特卡洛法或两者")
            return None
        if self.method == "gum":
            return self.method, None, None
        trials = seed = None
        try:
            trials = int(self.trials.replace(",", "").replace("_", "") or DEFAULT_TRIALS)
        except ValueError:
            self.errors["trials"] = _("必须是整数")
        else:
            if not 100 <= trials <= MAX_TRIALS:
                self.errors["trials"] = _("须在 %(low)s 到 %(high)s 之间（更多试验请用命令行）") % {
                    "low": 100,
                    "high": f"{MAX_TRIALS:,}",
                }
        if self.seed:
            try:
                seed = int(self.seed)
                if seed < 0:
                    raise ValueError
            except ValueError:
                self.errors["seed"] = _("须为非负整数（留空则随机选取）")
        else:
            seed = secrets.randbelow(2**32)  # drawn here so the page can show it and the download repeats it
        if self.errors:
            return None
        self.seed_used = seed
        return self.method, trials, seed


def throttle_wait(request) -> float | None:
    """Seconds to wait if the calculator API's throttles refuse this request, else None."""
    for throttle_class in UncertaintyEvaluateView.throttle_classes:
        throttle = throttle_class()
        if not throttle.allow_request(request, None):
            return throttle.wait() or 60.0
    return None


def parse_document(text: str) -> dict:
    """A model document from JSON or YAML text; DocumentError with the place if unreadable."""
    if not text.strip():
        raise DocumentError(_("请粘贴或上传模型文件"))
    if len(text.encode("utf-8")) > MAX_DOCUMENT_BYTES:
        raise DocumentError(_("模型文件过大（上限 %(kb)s KB）") % {"kb": MAX_DOCUMENT_BYTES // 1024})
    if text.lstrip().startswith(("{", "[")):
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise DocumentError(
                _("JSON 格式错误（第 %(line)s 行第 %(col)s 列）：%(msg)s")
                % {"line": exc.lineno, "col": exc.colno, "msg": exc.msg}
            ) from None
    else:
        import yaml

        try:
            # Aliases could expand a small file into a huge structure: a model never needs them.
            if any(isinstance(event, yaml.AliasEvent) for event in yaml.parse(text, Loader=yaml.SafeLoader)):
                raise DocumentError(_("YAML 模型文件中不能使用别名（*name）"))
            doc = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = _("第 %(line)s 行：") % {"line": mark.line + 1} if mark else ""
            raise DocumentError(
                _("YAML 格式错误 %(where)s%(msg)s") % {"where": where, "msg": getattr(exc, "problem", None) or exc}
            ) from None
    if not isinstance(doc, dict):
        raise DocumentError(localised_reason(ModelError("", "the model document must be an object", code="model_not_object")))
    return doc


def _uploaded_text(request) -> str | None:
    upload = request.FILES.get("document_file")
    if not upload:
        return None
    if upload.size > MAX_DOCUMENT_BYTES:
        raise DocumentError(_("模型文件过大（上限 %(kb)s KB）") % {"kb": MAX_DOCUMENT_BYTES // 1024})
    try:
        return upload.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DocumentError(_("模型文件须为 UTF-8 编码的文本")) from None


def _context(**kwargs) -> dict:
    context = {
        "examples": EXAMPLES.values(),
        "distributions": DISTRIBUTIONS,
        "columns": COLUMN_LABELS,
        "max_trials": MAX_TRIALS,
        "max_rows": MAX_ROWS,
        "source": "builder",
        "document_text": "",
        "document_errors": [],
        "results": None,
        "general_error": "",
    }
    context.update(kwargs)
    builder = context["builder"]
    context["summary"] = builder.summary() + [
        {"label": FIELD_LABELS.get(k, k), "message": v, "anchor": f"run-{context['source']}-{k}"}
        for k, v in context["run"].errors.items()
    ]
    return context


def _respond(request, context: dict, status: int = 200, headers: dict | None = None) -> HttpResponse:
    partial = request.headers.get("HX-Request") == "true"
    template = "calculations/_calculator.html" if partial else "calculations/uncertainty.html"
    response = render(request, template, context, status=status)
    patch_vary_headers(response, ("HX-Request",))  # one URL, two bodies: caches must tell them apart
    for key, value in (headers or {}).items():
        response[key] = value
    return response


def _evaluate(request, doc: dict, run: RunOptions):
    """(result, None) or (None, (status, ModelError | message, headers))."""
    parsed = run.parse()
    if parsed is None:
        return None, (400, None, None)
    wait = throttle_wait(request)
    if wait is not None:
        message = _("请求过于频繁，请 %(seconds)s 秒后再试") % {"seconds": int(wait + 0.999)}
        return None, (429, message, {"Retry-After": str(int(wait + 0.999))})
    method, trials, seed = parsed
    try:
        return evaluate_document(doc, method=method, trials=trials, seed=seed, deadline=deadline()), None
    except ModelError as exc:
        return None, (400, exc, None)
    except (ValueError, ArithmeticError, TypeError) as exc:  # numbers the core could not take
        return None, (400, str(exc), None)


@require_http_methods(["GET", "POST"])
def uncertainty(request):
    if request.method == "GET":
        example = EXAMPLES.get(request.GET.get("example", ""))
        if example:
            context = _context(
                builder=Builder.from_document(example.doc(), example.measurand_unit),
                run=RunOptions(method=example.method),
                example=example,
                document_text=json.dumps(example.document, ensure_ascii=False, indent=2),
            )
        else:
            context = _context(builder=Builder.blank(), run=RunOptions())
        return _respond(request, context)

    source = "document" if request.POST.get("source") == "document" else "builder"
    run = RunOptions.from_post(request.POST)
    if source == "document":
        return _evaluate_document(request, run)

    builder = Builder.from_post(request.POST)
    action = request.POST.get("action", "evaluate")
    if action == "add-row":  # the buttons without JavaScript; HTMX uses uncertainty_row
        if len(builder.rows) < MAX_ROWS:
            builder.rows.append(Row())
        return _respond(request, _context(builder=builder, run=run))
    if action.startswith("remove:"):
        try:
            del builder.rows[int(action.split(":", 1)[1])]
        except (ValueError, IndexError):
            pass
        return _respond(request, _context(builder=builder, run=run))

    doc = builder.to_document()
    if doc is None:
        run.parse()  # report the run options' errors too, in one pass
        return _respond(request, _context(builder=builder, run=run), status=400)
    result, failure = _evaluate(request, doc, run)
    if failure:
        status, problem, headers = failure
        general = ""
        if isinstance(problem, ModelError):
            if problem.field in ("trials", "method", "seed"):
                run.errors[problem.field] = localised_reason(problem)
            else:
                builder.apply_error(problem)
        elif problem:
            general = problem
        return _respond(request, _context(builder=builder, run=run, general_error=general), status=status, headers=headers)
    context = _context(
        builder=builder,
        run=run,
        results=present(result, doc, builder.measurand_unit),
        download={
            "document": json.dumps(doc, ensure_ascii=False),
            "method": run.method,
            "trials": run.trials,
            "seed": run.seed_used,
        },
    )
    return _respond(request, context)


def _evaluate_document(request, run: RunOptions) -> HttpResponse:
    context = {"builder": Builder.blank(), "run": run, "source": "document"}
    try:
        uploaded = _uploaded_text(request)
        text = uploaded if uploaded is not None else str(request.POST.get("document", ""))
        context["document_text"] = text[:MAX_DOCUMENT_BYTES]
        doc = parse_document(text)
    except DocumentError as exc:
        run.parse()
        return _respond(request, _context(**context, document_errors=[{"field": "", "message": str(exc)}]), status=400)
    for key in ("method", "trials", "seed"):  # the API's run keys: the page's own fields decide
        doc.pop(key, None)
    result, failure = _evaluate(request, doc, run)
    if failure:
        status, problem, headers = failure
        errors = []
        if isinstance(problem, ModelError):
            if problem.field in ("trials", "method", "seed"):
                run.errors[problem.field] = localised_reason(problem)
            else:
                errors.append({"field": problem.field, "message": localised_reason(problem)})
        elif problem and status == 429:
            context["general_error"] = problem
        elif problem:
            errors.append({"field": "", "message": problem})
        return _respond(request, _context(**context, document_errors=errors), status=status, headers=headers)
    context.update(
        results=present(result, doc),
        download={
            "document": json.dumps(doc, ensure_ascii=False),
            "method": run.method,
            "trials": run.trials,
            "seed": run.seed_used,
        },
    )
    return _respond(request, _context(**context))


@require_GET
def uncertainty_row(request):
    """One blank input row for HTMX to append; a remove request answers nothing (HTMX
    deletes the row with ``hx-swap="delete"``)."""
    if request.GET.get("action", "").startswith("remove"):
        return HttpResponse("")
    return render(
        request,
        "calculations/_input_row.html",
        {"row": Row(), "index": None, "distributions": DISTRIBUTIONS, "columns": COLUMN_LABELS},
    )


def _bad(field_name: str, detail: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"field": field_name, "detail": detail}, status=status, json_dumps_params={"ensure_ascii": False})


def _attachment(payload: dict, filename: str) -> HttpResponse:
    response = HttpResponse(
        json.dumps(payload, ensure_ascii=False, indent=2) + "\n", content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_POST
def uncertainty_download(request):
    """The model document, or the result as the CLI's ``--json`` prints it (re-run with the
    seed the page used, so the numbers are the ones shown)."""
    try:
        doc = json.loads(request.POST.get("document", ""))
    except json.JSONDecodeError as exc:
        return _bad("document", f"not JSON: {exc.msg}")
    if not isinstance(doc, dict):
        return _bad("document", "the model document must be an object")
    if request.POST.get("what") == "model":
        return _attachment(doc, "uncertainty-model.json")
    run = RunOptions.from_post(request.POST)
    result, failure = _evaluate(request, doc, run)
    if failure:
        status, problem, headers = failure
        if isinstance(problem, ModelError):
            return _bad(problem.field, problem.reason)
        field_name, message = next(iter(run.errors.items()), (None, problem))
        response = _bad(field_name, str(message), status)
        for key, value in (headers or {}).items():
            response[key] = value
        return response
    return _attachment(result, "uncertainty-result.json")
