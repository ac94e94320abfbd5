/* SPDX-License-Identifier: MIT */
/*
 * A reader for xl.cfg(5) files, just enough to pull out `vsnd`. The
 * grammar is libxlutil's (tools/libs/util/libxlu_cfg_[ly].[ly] in Xen):
 *
 *   file    := { stmt } [ setting ]
 *   stmt    := [ setting ] ( NEWLINE | ';' )
 *   setting := IDENT ( '=' | '+=' ) value
 *   value   := STRING | NUMBER | '[' nl* [ value nl* { ',' nl* value nl* } [ ',' nl* ] ] ']'
 *
 * Newlines are free only inside lists, as in xl. Every value is parsed
 * into a small tree; only the vsnd one is kept.
 */
#include "xlcfg.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VSND_SETTING	"vsnd"
#define MAX_DEPTH	8	/* lists nest two deep in vsnd; bound the recursion */

enum token_kind {
	TOK_EOF,
	TOK_NEWLINE,
	TOK_IDENT,
	TOK_NUMBER,
	TOK_STRING,
	TOK_LBRACKET,
	TOK_RBRACKET,
	TOK_COMMA,
	TOK_ASSIGN,
	TOK_APPEND,
	TOK_SEMICOLON,
};

struct token {
	enum token_kind kind;
	char *text;		/* IDENT, NUMBER, STRING (dequoted); owned */
	unsigned int line;
};

struct value {
	bool is_list;
	bool is_string;		/* a quoted STRING rather than a NUMBER */
	char *text;		/* atom */
	struct value *items;	/* list */
	size_t n_items;
	unsigned int line;
};

struct parser {
	const char *pos;
	unsigned int line;
	const char *name;
	struct token tok;	/* the current, not yet consumed token */
	char *err;
	size_t err_size;
};

static int parse_error(struct parser *ps, unsigned int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int parse_error(struct parser *ps, unsigned int line, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(ps->err, ps->err_size, "%s:%u: ", ps->name, line);
	if (n < 0 || (size_t)n >= ps->err_size)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(ps->err + n, ps->err_size - n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static void value_clear(struct value *v)
{
	for (size_t i = 0; i < v->n_items; i++)
		value_clear(&v->items[i]);
	free(v->items);
	free(v->text);
	memset(v, 0, sizeof(*v));
}

/* ---- lexer ---- */

static int escape_char(char c, char *out)
{
	static const char from[] = "\"'\\abfnrtv";
	static const char to[] = "\"'\\\a\b\f\n\r\t\v";
	const char *hit = c ? strchr(from, c) : NULL;

	if (!hit)
		return -EINVAL;
	*out = to[hit - from];
	return 0;
}

/* A quoted string starting at ps->pos (on the quote). */
static int lex_string(struct parser *ps, struct token *tok)
{
	char quote = *ps->pos++;
	const char *start = ps->pos;
	char *out;
	size_t n = 0;

	out = malloc(strlen(start) + 1);
	if (!out)
		return -ENOMEM;
	for (;;) {
		char c = *ps->pos;

		if (c == '\0' || c == '\n') {
			free(out);
			return parse_error(ps, ps->line, "string not closed: missing %c", quote);
		}
		ps->pos++;
		if (c == quote)
			break;
		if (c == '\\') {
			if (escape_char(*ps->pos, &out[n]) < 0) {
				free(out);
				return parse_error(ps, ps->line,
						   "unsupported escape \\%c in a string", *ps->pos);
			}
			ps->pos++;
			n++;
			continue;
		}
		out[n++] = c;
	}
	out[n] = '\0';
	tok->kind = TOK_STRING;
	tok->text = out;
	return 0;
}

static int lex_word(struct parser *ps, struct token *tok, enum token_kind kind)
{
	const char *start = ps->pos;

	while (isalnum((unsigned char)*ps->pos) || *ps->pos == '_' || *ps->pos == '.')
		ps->pos++;
	tok->kind = kind;
	tok->text = strndup(start, ps->pos - start);
	return tok->text ? 0 : -ENOMEM;
}

static int lex_next(struct parser *ps, struct token *tok)
{
	char c;

	memset(tok, 0, sizeof(*tok));
	while (*ps->pos == ' ' || *ps->pos == '\t' || *ps->pos == '\r')
		ps->pos++;
	if (*ps->pos == '#') {
		while (*ps->pos && *ps->pos != '\n')
			ps->pos++;
	}
	tok->line = ps->line;
	c = *ps->pos;
	if (c == '\0') {
		tok->kind = TOK_EOF;
		return 0;
	}
	if (c == '\n') {
		ps->pos++;
		ps->line++;
		tok->kind = TOK_NEWLINE;
		return 0;
	}
	if (c == '\'' || c == '"')
		return lex_string(ps, tok);
	if (isalpha((unsigned char)c) || c == '_')
		return lex_word(ps, tok, TOK_IDENT);
	if (isdigit((unsigned char)c))
		return lex_word(ps, tok, TOK_NUMBER);
	if (c == '+' && ps->pos[1] == '=') {
		ps->pos += 2;
		tok->kind = TOK_APPEND;
		return 0;
	}
	ps->pos++;
	switch (c) {
	case '[': tok->kind = TOK_LBRACKET; return 0;
	case ']': tok->kind = TOK_RBRACKET; return 0;
	case ',': tok->kind = TOK_COMMA; return 0;
	case '=': tok->kind = TOK_ASSIGN; return 0;
	case ';': tok->kind = TOK_SEMICOLON; return 0;
	}
	if (isprint((unsigned char)c))
		return parse_error(ps, ps->line, "unexpected '%c' (xl.cfg is not Python: "
				   "values are 'strings', numbers or [ lists ])", c);
	return parse_error(ps, ps->line, "unexpected byte 0x%02x", (unsigned char)c);
}

/* Consume the current token and read the next one. */
static int advance(struct parser *ps)
{
	free(ps->tok.text);
	ps->tok.text = NULL;
	return lex_next(ps, &ps->tok);
}

static int skip_newlines(struct parser *ps)
{
	int ret = 0;

	while (ret == 0 && ps->tok.kind == TOK_NEWLINE)
		ret = advance(ps);
	return ret;
}

/* ---- parser ---- */

static int parse_value(struct parser *ps, struct value *v, unsigned int depth);

static int list_append(struct value *list, struct value *item)
{
	struct value *items;

	items = realloc(list->items, (list->n_items + 1) * sizeof(*items));
	if (!items)
		return -ENOMEM;
	list->items = items;
	items[list->n_items++] = *item;
	memset(item, 0, sizeof(*item));
	return 0;
}

static int parse_list(struct parser *ps, struct value *list, unsigned int depth)
{
	int ret;

	list->is_list = true;
	list->line = ps->tok.line;
	if (depth >= MAX_DEPTH)
		return parse_error(ps, ps->tok.line, "lists nested deeper than %d", MAX_DEPTH);
	if ((ret = advance(ps)) < 0 || (ret = skip_newlines(ps)) < 0)
		return ret;
	while (ps->tok.kind != TOK_RBRACKET) {
		struct value item = { 0 };

		ret = parse_value(ps, &item, depth + 1);
		if (ret == 0)
			ret = list_append(list, &item);
		value_clear(&item);
		if (ret < 0 || (ret = skip_newlines(ps)) < 0)
			return ret;
		if (ps->tok.kind == TOK_RBRACKET)
			break;
		if (ps->tok.kind == TOK_EOF)
			return parse_error(ps, ps->tok.line, "file ends inside the list "
					   "opened on line %u: missing ']'", list->line);
		if (ps->tok.kind != TOK_COMMA)
			return parse_error(ps, ps->tok.line, "expected ',' or ']' in the list "
					   "opened on line %u", list->line);
		if ((ret = advance(ps)) < 0 || (ret = skip_newlines(ps)) < 0)
			return ret;
	}
	return advance(ps);
}

static int parse_value(struct parser *ps, struct value *v, unsigned int depth)
{
	switch (ps->tok.kind) {
	case TOK_LBRACKET:
		return parse_list(ps, v, depth);
	case TOK_STRING:
	case TOK_NUMBER:
		v->is_string = ps->tok.kind == TOK_STRING;
		v->line = ps->tok.line;
		v->text = ps->tok.text;
		ps->tok.text = NULL;
		return advance(ps);
	case TOK_EOF:
		return parse_error(ps, ps->tok.line, "file ends where a value was expected");
	default:
		return parse_error(ps, ps->tok.line, "expected a value: a 'string', "
				   "a number or a [ list ]");
	}
}

/* `vsnd += [...]`: xl appends to the previous list. */
static int append_lists(struct value *to, struct value *from)
{
	for (size_t i = 0; i < from->n_items; i++) {
		int ret = list_append(to, &from->items[i]);

		if (ret < 0)
			return ret;
	}
	return 0;
}

/* One `name = value` or `name += value`; keeps it in vsnd when it is vsnd. */
static int parse_setting(struct parser *ps, struct value *vsnd, bool *have_vsnd)
{
	struct value value = { 0 };
	bool is_vsnd, append;
	unsigned int line = ps->tok.line;
	int ret;

	is_vsnd = strcmp(ps->tok.text, VSND_SETTING) == 0;
	if ((ret = advance(ps)) < 0)
		return ret;
	if (ps->tok.kind != TOK_ASSIGN && ps->tok.kind != TOK_APPEND)
		return parse_error(ps, ps->tok.line, "expected '=' or '+=' after a setting's name");
	append = ps->tok.kind == TOK_APPEND;
	if ((ret = advance(ps)) < 0 || (ret = parse_value(ps, &value, 0)) < 0)
		goto out;
	if (!is_vsnd)
		goto out;
	if (append && *have_vsnd) {
		if (!vsnd->is_list || !value.is_list) {
			ret = parse_error(ps, line, "vsnd += needs lists on both sides");
			goto out;
		}
		ret = append_lists(vsnd, &value);
		goto out;
	}
	value_clear(vsnd);
	*vsnd = value;
	memset(&value, 0, sizeof(value));
	*have_vsnd = true;
out:
	value_clear(&value);
	return ret;
}

static int parse_file(struct parser *ps, struct value *vsnd, bool *have_vsnd)
{
	int ret = advance(ps);

	while (ret == 0 && ps->tok.kind != TOK_EOF) {
		if (ps->tok.kind == TOK_NEWLINE || ps->tok.kind == TOK_SEMICOLON) {
			ret = advance(ps);
			continue;
		}
		if (ps->tok.kind != TOK_IDENT)
			return parse_error(ps, ps->tok.line, "expected a setting: NAME = VALUE");
		ret = parse_setting(ps, vsnd, have_vsnd);
		if (ret < 0)
			return ret;
		if (ps->tok.kind != TOK_NEWLINE && ps->tok.kind != TOK_SEMICOLON &&
		    ps->tok.kind != TOK_EOF)
			return parse_error(ps, ps->tok.line, "expected the end of the line "
					   "after a setting (or ';')");
	}
	return ret;
}

/* ---- the vsnd value: a list of lists of strings ---- */

static int take_device(struct parser *ps, struct value *card, size_t index,
		       struct xlcfg_device *dev)
{
	if (!card->is_list)
		return parse_error(ps, card->line, "vsnd: device %zu is not a list; write "
				   "each card as [ 'CARD, ...', 'PCM, ...', 'STREAM, ...' ]", index);
	dev->line = card->line;
	dev->items = calloc(card->n_items ? card->n_items : 1, sizeof(*dev->items));
	if (!dev->items)
		return -ENOMEM;
	for (size_t i = 0; i < card->n_items; i++) {
		struct value *item = &card->items[i];

		if (item->is_list || !item->is_string)
			return parse_error(ps, item->line, "vsnd: device %zu, element %zu is not "
					   "a quoted item string like 'PCM, name=Main'", index, i + 1);
		dev->items[i].text = item->text;
		dev->items[i].line = item->line;
		item->text = NULL;
		dev->n_items++;
	}
	return 0;
}

static int take_vsnd(struct parser *ps, struct value *vsnd, struct xlcfg_vsnd *out)
{
	if (!vsnd->is_list)
		return parse_error(ps, vsnd->line, "vsnd must be a list of cards: "
				   "vsnd = [ [ 'CARD, ...', 'PCM, ...', 'STREAM, ...' ] ]");
	out->devices = calloc(vsnd->n_items ? vsnd->n_items : 1, sizeof(*out->devices));
	if (!out->devices)
		return -ENOMEM;
	for (size_t d = 0; d < vsnd->n_items; d++) {
		int ret = take_device(ps, &vsnd->items[d], d + 1, &out->devices[d]);

		out->n_devices++;
		if (ret < 0)
			return ret;
	}
	return 0;
}

int xlcfg_parse_vsnd(const char *text, const char *name,
		     struct xlcfg_vsnd *out, char *err, size_t err_size)
{
	struct parser ps = {
		.pos = text, .line = 1, .name = name, .err = err, .err_size = err_size,
	};
	struct value vsnd = { 0 };
	bool have_vsnd = false;
	int ret;

	memset(out, 0, sizeof(*out));
	ret = parse_file(&ps, &vsnd, &have_vsnd);
	if (ret == 0 && !have_vsnd) {
		snprintf(err, err_size, "%s: no vsnd setting; expected "
			 "vsnd = [ [ 'CARD, ...', 'PCM, ...', 'STREAM, ...' ] ]", name);
		ret = -ENOENT;
	}
	if (ret == 0)
		ret = take_vsnd(&ps, &vsnd, out);
	if (ret < 0)
		xlcfg_vsnd_clear(out);
	if (ret == -ENOMEM)
		snprintf(err, err_size, "%s: out of memory", name);
	free(ps.tok.text);
	value_clear(&vsnd);
	return ret;
}

void xlcfg_vsnd_clear(struct xlcfg_vsnd *vsnd)
{
	for (size_t d = 0; d < vsnd->n_devices; d++) {
		struct xlcfg_device *dev = &vsnd->devices[d];

		for (size_t i = 0; i < dev->n_items; i++)
			free(dev->items[i].text);
		free(dev->items);
	}
	free(vsnd->devices);
	memset(vsnd, 0, sizeof(*vsnd));
}
