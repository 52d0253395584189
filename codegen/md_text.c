/* md_text: text inside Markdown tables. */
#include <ctype.h>

#include "md_text.h"

void md_cell(FILE *out, const char *s, const char *newline) {
  const char *start = s;
  for (; *s; s++) {
    switch (*s) {
    case '&':
      fputs("&amp;", out);
      break;
    case '<':
      fputs("&lt;", out);
      break;
    case '>':
      fputs("&gt;", out);
      break;
    case '|':
      fputs("&#124;", out);
      break;
    case '`':
    case '*':
    case '[':
    case '\\':
      fputc('\\', out);
      fputc(*s, out);
      break;
    case '_':
      if (s > start && isalnum((unsigned char)s[-1]) && isalnum((unsigned char)s[1]))
        fputc('_', out);
      else
        fputs("\\_", out);
      break;
    case '\r':
      break;
    case '\n':
      fputs(newline, out);
      break;
    default:
      fputc(*s, out);
    }
  }
}
