/* diff_report: the three renderings of a schema diff: text for CI logs (GCC-style
 * locations), Markdown for a pull request comment, JSON for tools. */
#include <string.h>

#include "md_text.h"
#include "schema_diff.h"

static const char *label_of(const ms_change *c) {
  if (c->cls == CH_BREAKING) return c->allowed ? "breaking (allowed)" : "breaking";
  return ms_class_name(c->cls);
}

static void summary(const ms_counts *k, FILE *out) {
  fprintf(out, "%zu breaking", k->breaking);
  if (k->allowed) fprintf(out, " (+%zu allowed)", k->allowed);
  fprintf(out, ", %zu risky, %zu safe", k->risky, k->safe);
}

/* ---- text ------------------------------------------------------------------------------ */

static void indent_value(FILE *out, const char *prefix, const char *v) {
  fputs(prefix, out);
  for (; *v; v++) {
    fputc(*v, out);
    if (*v == '\n' && v[1]) fputs("      ", out);
  }
  fputc('\n', out);
}

void ms_report_text(const ms_changes *c, FILE *out) {
  for (size_t i = 0; i < c->n; i++) {
    const ms_change *ch = &c->v[i];
    if (ch->line)
      fprintf(out, "%s:%d: ", ch->file, ch->line);
    else
      fprintf(out, "%s: ", ch->file);
    fprintf(out, "%s: %s: %s [%s]\n", label_of(ch), ch->family, ch->message, ch->code);
    if (ch->old_value) indent_value(out, "    - ", ch->old_value);
    if (ch->new_value) indent_value(out, "    + ", ch->new_value);
  }
  ms_counts k = ms_count(c);
  if (!c->n) {
    fputs("no metric changes\n", out);
    return;
  }
  summary(&k, out);
  fputs(k.breaking ? ": breaking changes found (accept intended ones with --allow NAME)\n"
                   : ": no unaccepted breaking change\n",
        out);
}

/* ---- Markdown -------------------------------------------------------------------------- */

/* A Markdown table cell (md_text.h); a line break stays one. */
static void cell(FILE *out, const char *s) { md_cell(out, s, "<br>"); }

static void code_cell(FILE *out, const char *s) {
  fputs("<code>", out);
  cell(out, s);
  fputs("</code>", out);
}

void ms_report_markdown(const ms_changes *c, FILE *out) {
  ms_counts k = ms_count(c);
  fputs("### ksmc metric changes\n\n", out);
  if (!c->n) {
    fputs("No metric changes: every series stays as it is.\n", out);
    return;
  }
  fprintf(out, "%s **%zu breaking**", k.breaking ? ":x:" : ":white_check_mark:", k.breaking);
  if (k.allowed) fprintf(out, " (+%zu allowed)", k.allowed);
  fprintf(out, " · %zu risky · %zu safe\n\n", k.risky, k.safe);
  if (k.breaking)
    fputs("> [!CAUTION]\n> Breaking changes can break dashboards, recording rules and alerts. "
          "If they are intended, accept each one explicitly (`--allow NAME` or a line in the "
          "allow file).\n\n",
          out);
  fputs("| Class | Family | Change | Before | After | Spec |\n"
        "|---|---|---|---|---|---|\n",
        out);
  for (size_t i = 0; i < c->n; i++) {
    const ms_change *ch = &c->v[i];
    const char *icon = ch->cls == CH_SAFE    ? ":white_check_mark:"
                       : ch->cls == CH_RISKY ? ":warning:"
                       : ch->allowed         ? ":ballot_box_with_check:"
                                             : ":x:";
    fprintf(out, "| %s %s | ", icon, label_of(ch));
    code_cell(out, ch->family);
    if (ch->old_family) {
      fputs(" (was ", out);
      code_cell(out, ch->old_family);
      fputs(")", out);
    }
    fputs(" | ", out);
    cell(out, ch->message);
    fputs(" | ", out);
    if (ch->old_value) code_cell(out, ch->old_value);
    fputs(" | ", out);
    if (ch->new_value) code_cell(out, ch->new_value);
    fputs(" | ", out);
    char loc[4200];
    if (ch->line)
      snprintf(loc, sizeof loc, "%s:%d", ch->file, ch->line);
    else
      snprintf(loc, sizeof loc, "%s", ch->file);
    code_cell(out, loc);
    fputs(" |\n", out);
  }
}

/* ---- JSON ------------------------------------------------------------------------------ */

static void opt(FILE *out, const char *s) {
  if (s)
    ms_json_string(out, s);
  else
    fputs("null", out);
}

void ms_report_json(const ms_changes *c, FILE *out) {
  ms_counts k = ms_count(c);
  fprintf(out,
          "{\n  \"ksmc_metric_diff\": 1,\n  \"result\": \"%s\",\n  \"exit_code\": %d,\n"
          "  \"counts\": {\"breaking\": %zu, \"allowed\": %zu, \"risky\": %zu, \"safe\": %zu},\n"
          "  \"changes\": [",
          k.breaking ? "breaking" : "ok", k.breaking ? 1 : 0, k.breaking, k.allowed, k.risky,
          k.safe);
  for (size_t i = 0; i < c->n; i++) {
    const ms_change *ch = &c->v[i];
    fprintf(out, "%s\n    {\"class\": \"%s\", \"allowed\": %s, \"code\": \"%s\", \"kind\": ",
            i ? "," : "", ms_class_name(ch->cls), ch->allowed ? "true" : "false", ch->code);
    ms_json_string(out, ch->kind);
    fputs(", \"family\": ", out);
    ms_json_string(out, ch->family);
    fputs(", \"old_family\": ", out);
    opt(out, ch->old_family);
    fputs(",\n     \"message\": ", out);
    ms_json_string(out, ch->message);
    fputs(",\n     \"old\": ", out);
    opt(out, ch->old_value);
    fputs(", \"new\": ", out);
    opt(out, ch->new_value);
    fputs(",\n     \"file\": ", out);
    ms_json_string(out, ch->file);
    fprintf(out, ", \"line\": %d}", ch->line);
  }
  fputs(c->n ? "\n  ]\n}\n" : "]\n}\n", out);
}
