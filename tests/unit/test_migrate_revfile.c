/*
 * Unit tests for src/migrate/revfile.c and pytoken.c (Alembic revision
 * files) and versions.c (the walk over the version locations that finds
 * them).
 *
 * The parse table gives a file's text and either what revision_parse() must
 * find (lists joined with ","; id NULL: not a revision file) or a piece of
 * its error. Every row runs; mismatches are printed with the row's name and
 * the test fails once at the end.
 */
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/testlib.h"
#include "migrate/migrate.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/strvec.h"
#include "util/banned.h"

/* s with control bytes escaped, for failure messages; caller frees. */
static char *shown(const char *s)
{
    struct buf b = BUF_INIT;

    if (!s)
        return xstrdup("(null)");
    for (; *s; s++) {
        if (*s == '\n')
            buf_adds(&b, "\\n");
        else if ((unsigned char)*s < 0x20)
            buf_addf(&b, "\\x%02x", (unsigned char)*s);
        else
            buf_addch(&b, *s);
    }
    return buf_detach(&b, NULL);
}

static char *joined(const struct strvec *sv)
{
    struct buf b = BUF_INIT;

    for (size_t i = 0; i < sv->n; i++)
        buf_addf(&b, "%s%s", i ? "," : "", sv->v[i]);
    return buf_detach(&b, NULL);
}

static bool same(const char *a, const char *b)
{
    return (!a && !b) || (a && b && !strcmp(a, b));
}

/* Alembic 1.8.1's templates/generic/script.py.mako, rendered for a first revision. */
static const char generic_base[] = "\"\"\"create users table\n"
                                   "\n"
                                   "Revision ID: 1975ea83b712\n"
                                   "Revises: \n"
                                   "Create Date: 2024-03-01 12:34:56.789012\n"
                                   "\n"
                                   "\"\"\"\n"
                                   "from alembic import op\n"
                                   "import sqlalchemy as sa\n"
                                   "\n"
                                   "\n"
                                   "# revision identifiers, used by Alembic.\n"
                                   "revision = '1975ea83b712'\n"
                                   "down_revision = None\n"
                                   "branch_labels = None\n"
                                   "depends_on = None\n"
                                   "\n"
                                   "\n"
                                   "def upgrade() -> None:\n"
                                   "    op.create_table(\n"
                                   "        'users',\n"
                                   "        sa.Column('id', sa.Integer(), nullable=False),\n"
                                   "    )\n"
                                   "\n"
                                   "\n"
                                   "def downgrade() -> None:\n"
                                   "    op.drop_table('users')\n";

/* ... for `alembic merge -m "merge heads" heads` */
static const char generic_merge[] = "\"\"\"merge heads\n"
                                    "\n"
                                    "Revision ID: 3f9b1c0e2a11\n"
                                    "Revises: ae1027a6acf, 27c6a30d7c24\n"
                                    "Create Date: 2024-03-02 08:00:00.000001\n"
                                    "\n"
                                    "\"\"\"\n"
                                    "from alembic import op\n"
                                    "import sqlalchemy as sa\n"
                                    "\n"
                                    "\n"
                                    "# revision identifiers, used by Alembic.\n"
                                    "revision = '3f9b1c0e2a11'\n"
                                    "down_revision = ('ae1027a6acf', '27c6a30d7c24')\n"
                                    "branch_labels = None\n"
                                    "depends_on = None\n"
                                    "\n"
                                    "\n"
                                    "def upgrade() -> None:\n"
                                    "    pass\n"
                                    "\n"
                                    "\n"
                                    "def downgrade() -> None:\n"
                                    "    pass\n";

/* ... for `alembic revision -m "create cart" --head=base --branch-label=shoppingcart
 * --depends-on=55af2cb1c267` */
static const char generic_branch[] = "\"\"\"create cart\n"
                                     "\n"
                                     "Revision ID: 2a5c7e9f0b13\n"
                                     "Revises: \n"
                                     "Create Date: 2024-03-03 09:10:11.121314\n"
                                     "\n"
                                     "\"\"\"\n"
                                     "from alembic import op\n"
                                     "import sqlalchemy as sa\n"
                                     "\n"
                                     "\n"
                                     "# revision identifiers, used by Alembic.\n"
                                     "revision = '2a5c7e9f0b13'\n"
                                     "down_revision = None\n"
                                     "branch_labels = ('shoppingcart',)\n"
                                     "depends_on = '55af2cb1c267'\n"
                                     "\n"
                                     "\n"
                                     "def upgrade() -> None:\n"
                                     "    pass\n"
                                     "\n"
                                     "\n"
                                     "def downgrade() -> None:\n"
                                     "    pass\n";

/* ... for `alembic revision -m ""` */
static const char generic_empty_message[] = "\"\"\"\n"
                                            "\n"
                                            "Revision ID: 9c8b7a6d5e4f\n"
                                            "Revises: 1975ea83b712\n"
                                            "Create Date: 2024-03-04 00:00:00.000000\n"
                                            "\n"
                                            "\"\"\"\n"
                                            "from alembic import op\n"
                                            "import sqlalchemy as sa\n"
                                            "\n"
                                            "\n"
                                            "# revision identifiers, used by Alembic.\n"
                                            "revision = '9c8b7a6d5e4f'\n"
                                            "down_revision = '1975ea83b712'\n"
                                            "branch_labels = None\n"
                                            "depends_on = None\n"
                                            "\n"
                                            "\n"
                                            "def upgrade() -> None:\n"
                                            "    pass\n"
                                            "\n"
                                            "\n"
                                            "def downgrade() -> None:\n"
                                            "    pass\n";

/* The annotated template of Alembic 1.11 to 1.13. */
static const char annotated[] = "\"\"\"add email\n"
                                "\n"
                                "Revision ID: b2c3d4e5f6a7\n"
                                "Revises: 1975ea83b712\n"
                                "Create Date: 2024-04-01 10:00:00.000000\n"
                                "\n"
                                "\"\"\"\n"
                                "from typing import Sequence, Union\n"
                                "\n"
                                "from alembic import op\n"
                                "import sqlalchemy as sa\n"
                                "\n"
                                "\n"
                                "# revision identifiers, used by Alembic.\n"
                                "revision: str = 'b2c3d4e5f6a7'\n"
                                "down_revision: Union[str, None] = '1975ea83b712'\n"
                                "branch_labels: Union[str, Sequence[str], None] = None\n"
                                "depends_on: Union[str, Sequence[str], None] = None\n"
                                "\n"
                                "\n"
                                "def upgrade() -> None:\n"
                                "    op.add_column('users', sa.Column('email', sa.String(255)))\n"
                                "\n"
                                "\n"
                                "def downgrade() -> None:\n"
                                "    op.drop_column('users', 'email')\n";

/* ... and of 1.14 on, with double quotes as a formatter leaves them. */
static const char annotated_new[] = "\"\"\"merge\n"
                                    "\n"
                                    "Revision ID: c3d4e5f6a7b8\n"
                                    "Revises: b2c3d4e5f6a7, 2a5c7e9f0b13\n"
                                    "Create Date: 2024-05-01 10:00:00.000000\n"
                                    "\n"
                                    "\"\"\"\n"
                                    "\n"
                                    "from typing import Sequence, Union\n"
                                    "\n"
                                    "from alembic import op\n"
                                    "import sqlalchemy as sa\n"
                                    "\n"
                                    "\n"
                                    "# revision identifiers, used by Alembic.\n"
                                    "revision: str = \"c3d4e5f6a7b8\"\n"
                                    "down_revision: Union[str, Sequence[str], None] = (\n"
                                    "    \"b2c3d4e5f6a7\",\n"
                                    "    \"2a5c7e9f0b13\",\n"
                                    ")\n"
                                    "branch_labels: Union[str, Sequence[str], None] = None\n"
                                    "depends_on: Union[str, Sequence[str], None] = [\"x1\"]\n"
                                    "\n"
                                    "\n"
                                    "def upgrade() -> None:\n"
                                    "    \"\"\"Upgrade schema.\"\"\"\n"
                                    "    pass\n";

/* Assignments to the four names that are not the module's. */
static const char decoys[] = "'''Real message'''\n"
                             "import os\n"
                             "text = \"\"\"\n"
                             "revision = 'in-a-string'\n"
                             "down_revision = None\n"
                             "\"\"\"\n"
                             "# revision = 'in-a-comment'\n"
                             "revision = 'real1'\n"
                             "down_revision = None\n"
                             "\n"
                             "def upgrade():\n"
                             "    revision = 'in-a-def'\n"
                             "    s = '''\n"
                             "revision = 'in-a-string-in-a-def'\n"
                             "'''\n"
                             "    if s:\n"
                             "\tdepends_on = 'tab-indented'\n"
                             "\n"
                             "class Helper:\n"
                             "    branch_labels = ('in-a-class',)\n"
                             "\n"
                             "@decorator(\n"
                             "    revision='in-a-decorator',\n"
                             ")\n"
                             "async def f(revision='a-default'):\n"
                             "    down_revision = 'x'\n"
                             "d = {'revision': 'a-key', 'down_revision': ['a']}\n"
                             "call(revision='a-keyword')\n"
                             "x = lambda revision='q': revision\n"
                             "items[revision] = 1\n"
                             "if True:\n"
                             "    def g():\n"
                             "        revision = 'in-a-def-in-an-if'\n"
                             "    y = 1\n";

static void test_revision_parse(void **state)
{
    static const struct {
        const char *what;
        const char *text;
        const char *id; /* NULL: not a revision file (or an error) */
        const char *down, *labels, *depends;
        const char *doc, *longdoc, *create_date;
        const char *error; /* a piece of the message */
    } cases[] = {
            {"generic template, first revision", generic_base, "1975ea83b712", "", "", "",
             "create users table",
             "create users table\n\nRevision ID: 1975ea83b712\nRevises: \nCreate Date: "
             "2024-03-01 12:34:56.789012",
             "2024-03-01 12:34:56.789012"},
            {"generic template, merge", generic_merge, "3f9b1c0e2a11", "ae1027a6acf,27c6a30d7c24",
             "", "", "merge heads",
             "merge heads\n\nRevision ID: 3f9b1c0e2a11\nRevises: ae1027a6acf, 27c6a30d7c24\n"
             "Create Date: 2024-03-02 08:00:00.000001",
             "2024-03-02 08:00:00.000001"},
            {"generic template, branch label and dependency", generic_branch, "2a5c7e9f0b13", "",
             "shoppingcart", "55af2cb1c267", "create cart",
             "create cart\n\nRevision ID: 2a5c7e9f0b13\nRevises: \nCreate Date: 2024-03-03 "
             "09:10:11.121314",
             "2024-03-03 09:10:11.121314"},
            {"generic template, empty message", generic_empty_message, "9c8b7a6d5e4f",
             "1975ea83b712", "", "",
             "Revision ID: 9c8b7a6d5e4f\nRevises: 1975ea83b712\nCreate Date: 2024-03-04 "
             "00:00:00.000000",
             "Revision ID: 9c8b7a6d5e4f\nRevises: 1975ea83b712\nCreate Date: 2024-03-04 "
             "00:00:00.000000",
             "2024-03-04 00:00:00.000000"},
            {"annotated template", annotated, "b2c3d4e5f6a7", "1975ea83b712", "", "", "add email",
             "add email\n\nRevision ID: b2c3d4e5f6a7\nRevises: 1975ea83b712\nCreate Date: "
             "2024-04-01 10:00:00.000000",
             "2024-04-01 10:00:00.000000"},
            {"annotated template of 1.14, multi-line tuple, double quotes", annotated_new,
             "c3d4e5f6a7b8", "b2c3d4e5f6a7,2a5c7e9f0b13", "", "x1", "merge",
             "merge\n\nRevision ID: c3d4e5f6a7b8\nRevises: b2c3d4e5f6a7, 2a5c7e9f0b13\nCreate "
             "Date: 2024-05-01 10:00:00.000000",
             "2024-05-01 10:00:00.000000"},
            {"assignments that are not the module's are left alone", decoys, "real1", "", "", "",
             "Real message", "Real message", NULL},

            /* values */
            {"a list", "revision = 'r'\ndown_revision = ['a', \"b\"]\n", "r", "a,b", "", "", "", "",
             NULL},
            {"a multi-line tuple with comments and a trailing comma",
             "revision = 'r'\ndown_revision = (\n    'a',  # first\n\n    # then\n    'b',\n)\n",
             "r", "a,b", "", "", "", "", NULL},
            {"a one-element tuple", "revision = 'r'\ndown_revision = ('a',)\n", "r", "a", "", "",
             "", "", NULL},
            {"a tuple without parentheses", "revision = 'r'\ndown_revision = 'a', 'b'\n", "r",
             "a,b", "", "", "", "", NULL},
            {"a string in parentheses", "revision = ('r')\ndown_revision = (\n    'a'\n)\n", "r",
             "a", "", "", "", "", NULL},
            {"None in parentheses, empty tuple and list",
             "revision = 'r'\ndown_revision = (None)\nbranch_labels = ()\ndepends_on = []\n", "r",
             "", "", "", "", "", NULL},
            {"adjacent literals join; escapes and prefixes",
             "revision = 'r' \"1\"\\\n    u'2'\ndown_revision = R'a\\b' 'c\\x41\\u00e9'\n", "r12",
             "a\\bcA\xc3\xa9", "", "", "", "", NULL},
            {"a string label is one label",
             "revision = 'r'\ndown_revision = None\nbranch_labels "
             "= 'lbl'\ndepends_on = ('d1', 'd2')\n",
             "r", "", "lbl", "d1,d2", "", "", NULL},
            {"an empty down_revision is none", "revision = 'r'\ndown_revision = ''\n", "r", "", "",
             "", "", "", NULL},
            {"the last assignment wins", "revision = 'a'\nrevision = 'b'\ndown_revision = None\n",
             "b", "", "", "", "", "", NULL},
            {"chained assignments and ';'",
             "x = revision = 'r'; down_revision = depends_on = 'p'\n", "r", "p", "", "p", "", "",
             NULL},
            {"a backslash continuation", "revision = \\\n    'r'\ndown_revision = None\n", "r", "",
             "", "", "", "", NULL},
            {"an annotation alone assigns nothing",
             "revision: str\nrevision = 'r'\ndown_revision: str\ndown_revision = None\n", "r", "",
             "", "", "", "", NULL},
            {"an annotation with '=' inside brackets",
             "revision: Annotated[str, Field(default='x')] = 'r'\ndown_revision = None\n", "r", "",
             "", "", "", "", NULL},

            /* the docstring */
            {"no docstring", "import os\nrevision = 'r'\ndown_revision = None\n", "r", "", "", "",
             "", "", NULL},
            {"a docstring after a shebang and coding line",
             "#!/usr/bin/env python\n# -*- coding: utf-8 -*-\n\n'''msg'''\nrevision = 'r'\n"
             "down_revision = None\n",
             "r", "", "", "", "msg", "msg", NULL},
            {"the docstring is the first statement only",
             "revision = 'r'\n\"\"\"not a docstring\"\"\"\ndown_revision = None\n", "r", "", "", "",
             "", "", NULL},
            {"an f-string is no docstring", "f'''x'''\nrevision = 'r'\ndown_revision = None\n", "r",
             "", "", "", "", "", NULL},
            {"bytes are no docstring", "b'''x'''\nrevision = 'r'\ndown_revision = None\n", "r", "",
             "", "", "", "", NULL},
            {"a docstring in parts, in parentheses",
             "(\"first \"\n 'part\\n\\nsecond')\nrevision = 'r'\ndown_revision = None\n", "r", "",
             "", "", "first part", "first part\n\nsecond", NULL},
            {"escapes in a docstring",
             "\"\"\"a\\tb \\\"q\\\" \\\\ \\d \\\nc\\n\\nd\"\"\"\nrevision = 'r'\ndown_revision = "
             "None\n",
             "r", "", "", "", "a\tb \"q\" \\ \\d c", "a\tb \"q\" \\ \\d c\n\nd", NULL},
            {"a raw docstring", "r'''a\\n\\nb'''\nrevision = 'r'\ndown_revision = None\n", "r", "",
             "", "", "a\\n\\nb", "a\\n\\nb", NULL},
            {"surrounding whitespace is stripped, Unicode too",
             "'''\\u00a0 \n\n  msg  \n\n  more\t\n\n'''\nrevision = 'r'\ndown_revision = None\n",
             "r", "", "", "", "msg  ", "msg  \n\n  more", NULL},
            {"CRLF line ends",
             "\"\"\"a\r\n\r\nb\r\nCreate Date: x\r\n\"\"\"\r\nrevision = 'r'\r\n"
             "down_revision = None\r\n",
             "r", "", "", "", "a", "a\n\nb\nCreate Date: x", "x"},
            {"a byte order mark", "\xef\xbb\xbf'''m'''\nrevision = 'r'\ndown_revision = None\n",
             "r", "", "", "", "m", "m", NULL},

            /* not revision files */
            {"no revision at all", "from alembic import context\n\ndef run():\n    pass\n", NULL,
             NULL, NULL, NULL, NULL, NULL, NULL},
            {"revision only inside a function",
             "def f():\n    revision = 'x'\n    down_revision = None\n", NULL, NULL, NULL, NULL,
             NULL, NULL, NULL},
            {"an empty file", "", NULL, NULL, NULL, NULL, NULL, NULL, NULL},

            /* errors */
            {"a call", "revision = 'r'\ndown_revision = None\ndepends_on = get()\n", NULL, NULL,
             NULL, NULL, NULL, NULL, NULL,
             "rev.py:3: cannot understand the value of 'depends_on': expected a string, None, or "
             "a tuple or list of strings"},
            {"a name", "PREV = 'a'\nrevision = 'r'\ndown_revision = PREV\n", NULL, NULL, NULL, NULL,
             NULL, NULL, NULL, "rev.py:3: cannot understand the value of 'down_revision'"},
            {"the line of the element that is not understood",
             "revision = 'r'\ndown_revision = (\n    'a',\n    b,\n)\n", NULL, NULL, NULL, NULL,
             NULL, NULL, NULL, "rev.py:4: cannot understand the value of 'down_revision'"},
            {"a concatenation", "revision = 'r' + 'x'\ndown_revision = None\n", NULL, NULL, NULL,
             NULL, NULL, NULL, NULL, "rev.py:1: cannot understand the value of 'revision'"},
            {"an f-string value", "revision = f'r'\ndown_revision = None\n", NULL, NULL, NULL, NULL,
             NULL, NULL, NULL, "rev.py:1: cannot understand the value of 'revision'"},
            {"a bytes value", "revision = 'r'\ndown_revision = b'a'\n", NULL, NULL, NULL, NULL,
             NULL, NULL, NULL, "rev.py:2: cannot understand the value of 'down_revision'"},
            {"a nested tuple", "revision = 'r'\ndown_revision = (('a', 'b'), 'c')\n", NULL, NULL,
             NULL, NULL, NULL, NULL, NULL,
             "rev.py:2: cannot understand the value of 'down_revision'"},
            {"None in a list", "revision = 'r'\ndown_revision = [None]\n", NULL, NULL, NULL, NULL,
             NULL, NULL, NULL, "rev.py:2: cannot understand the value of 'down_revision'"},
            {"revision None", "revision = None\ndown_revision = None\n", NULL, NULL, NULL, NULL,
             NULL, NULL, NULL,
             "rev.py:1: cannot understand the value of 'revision': expected a non-empty string"},
            {"revision a tuple", "revision = ('a', 'b')\ndown_revision = None\n", NULL, NULL, NULL,
             NULL, NULL, NULL, NULL, "rev.py:1: cannot understand the value of 'revision'"},
            {"a character Alembic refuses in an id", "revision = 'a-b'\ndown_revision = None\n",
             NULL, NULL, NULL, NULL, NULL, NULL, NULL,
             "rev.py:1: character '-' not allowed in revision identifier 'a-b'"},
            {"an assignment under a condition",
             "revision = 'r'\ndown_revision = None\nif X:\n    depends_on = 'a'\n", NULL, NULL,
             NULL, NULL, NULL, NULL, NULL,
             "rev.py:4: cannot understand the value of 'depends_on': it is assigned inside an "
             "'if' block"},
            {"an assignment in a one-line else",
             "revision = 'r'\nif X: pass\nelse: down_revision = None\n", NULL, NULL, NULL, NULL,
             NULL, NULL, NULL,
             "rev.py:3: cannot understand the value of 'down_revision': it is assigned inside an "
             "'else' block"},
            {"tuple unpacking", "revision, down_revision = 'r', None\n", NULL, NULL, NULL, NULL,
             NULL, NULL, NULL, "rev.py:1: cannot understand the assignment to 'revision'"},
            {"augmented assignment", "revision = 'r'\nrevision += 'x'\ndown_revision = None\n",
             NULL, NULL, NULL, NULL, NULL, NULL, NULL,
             "rev.py:2: cannot understand the value of 'revision': augmented assignment"},
            {"an assignment without a value", "revision = 'r'\ndown_revision =\n", NULL, NULL, NULL,
             NULL, NULL, NULL, NULL, "rev.py:2: cannot understand the value of"},
            {"revision without down_revision", "'''m'''\n\nrevision = 'r'\n", NULL, NULL, NULL,
             NULL, NULL, NULL, NULL, "rev.py:3: 'revision' is set but 'down_revision' is not"},
            {"an unterminated string", "revision = 'r'\ndown_revision = 'abc\n", NULL, NULL, NULL,
             NULL, NULL, NULL, NULL, "rev.py:2: unterminated string literal"},
            {"an unterminated triple-quoted string",
             "revision = 'r'\ndown_revision = None\n\ndef f():\n    '''doc\n\n", NULL, NULL, NULL,
             NULL, NULL, NULL, NULL, "rev.py:5: unterminated triple-quoted string literal"},
            {"an unclosed bracket", "revision = 'r'\ndown_revision = (\n    'a',\n", NULL, NULL,
             NULL, NULL, NULL, NULL, NULL, "rev.py:2: '(' was never closed"},
            {"an unmatched bracket", "revision = 'r'\ndown_revision = None)\n", NULL, NULL, NULL,
             NULL, NULL, NULL, NULL, "rev.py:2: unmatched ')'"},
            {"mismatched brackets", "x = (1]\n", NULL, NULL, NULL, NULL, NULL, NULL, NULL,
             "rev.py:1: closing parenthesis ']' does not match opening parenthesis '('"},
            {"a bad escape in a value", "revision = 'r\\x4'\ndown_revision = None\n", NULL, NULL,
             NULL, NULL, NULL, NULL, NULL, "rev.py:1: truncated \\x escape"},
            {"an unexpected indent", "revision = 'r'\n  down_revision = None\n", NULL, NULL, NULL,
             NULL, NULL, NULL, NULL, "rev.py:2: unexpected indent"},
            {"a NUL in a value", "revision = 'r\\x00'\ndown_revision = None\n", NULL, NULL, NULL,
             NULL, NULL, NULL, NULL, "rev.py:1: cannot understand the value of 'revision'"},
            {"a backslash before text", "revision = 'r' \\ x\n", NULL, NULL, NULL, NULL, NULL, NULL,
             NULL, "rev.py:1: unexpected character after line continuation character"},
    };
    int failures = 0;

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct revision *rev = (struct revision *)&failures; /* must be overwritten */
        struct ds_error err = DS_ERROR_INIT;
        int rc = revision_parse(&rev, "rev.py", cases[i].text, strlen(cases[i].text), &err);

        if (cases[i].error) {
            if (rc != DS_EINVAL || rev || !err.msg || !strstr(err.msg, cases[i].error) ||
                strncmp(err.msg, "rev.py:", 7)) {
                printf("# %s: got %d '%s', want '...%s...'\n", cases[i].what, rc,
                       err.msg ? err.msg : "(none)", cases[i].error);
                failures++;
            }
        } else if (rc != 0) {
            printf("# %s: %s\n", cases[i].what, err.msg);
            failures++;
        } else if (!cases[i].id) {
            if (rev) {
                printf("# %s: got revision '%s', want none\n", cases[i].what, rev->id);
                failures++;
            }
        } else if (!rev) {
            printf("# %s: got no revision\n", cases[i].what);
            failures++;
        } else {
            char *down = joined(&rev->down), *labels = joined(&rev->branch_labels),
                 *deps = joined(&rev->depends_on);

            if (strcmp(rev->id, cases[i].id) || strcmp(down, cases[i].down) ||
                strcmp(labels, cases[i].labels) || strcmp(deps, cases[i].depends) ||
                strcmp(rev->doc, cases[i].doc) || strcmp(rev->longdoc, cases[i].longdoc) ||
                !same(rev->create_date, cases[i].create_date) || strcmp(rev->path, "rev.py")) {
                char *doc = shown(rev->doc), *longdoc = shown(rev->longdoc);
                char *wdoc = shown(cases[i].doc), *wlongdoc = shown(cases[i].longdoc);

                printf("# %s:\n#   got  id '%s' down '%s' labels '%s' depends '%s' doc '%s' "
                       "longdoc '%s' date '%s'\n",
                       cases[i].what, rev->id, down, labels, deps, doc, longdoc,
                       rev->create_date ? rev->create_date : "(null)");
                printf("#   want id '%s' down '%s' labels '%s' depends '%s' doc '%s' "
                       "longdoc '%s' date '%s'\n",
                       cases[i].id, cases[i].down, cases[i].labels, cases[i].depends, wdoc,
                       wlongdoc, cases[i].create_date ? cases[i].create_date : "(null)");
                free(doc);
                free(longdoc);
                free(wdoc);
                free(wlongdoc);
                failures++;
            }
            free(down);
            free(labels);
            free(deps);
        }
        if (rev != (struct revision *)&failures)
            revision_free(rev);
        ds_error_release(&err);
    }
    if (failures)
        fail_msg("%d of %zu cases failed", failures, ARRAY_SIZE(cases));
}

/* Bytes past the length are not read, and a NUL inside is an error. */
static void test_revision_parse_bounds(void **state)
{
    static const char text[] = "revision = 'r'\ndown_revision = None\nJUNK(";
    struct revision *rev = NULL;
    struct ds_error err = DS_ERROR_INIT;

    (void)state;
    assert_int_equal(revision_parse(&rev, "b.py", text, strlen(text) - 5, &err), 0);
    assert_non_null(rev);
    assert_string_equal(rev->id, "r");
    revision_free(rev);

    assert_int_equal(revision_parse(&rev, "b.py", "revision = 'r'\n\0", 16, &err), DS_EINVAL);
    assert_null(rev);
    assert_string_equal(err.msg, "b.py:2: source code cannot contain null bytes");
    ds_error_release(&err);
    revision_free(NULL);
}

/* ---- revmap_load() ------------------------------------------------------------ */

static const char *rev_text(struct buf *b, const char *id, const char *down)
{
    buf_reset(b);
    buf_addf(b, "\"\"\"%s\n\nRevision ID: %s\n\"\"\"\nrevision = '%s'\n", id, id, id);
    if (down)
        buf_addf(b, "down_revision = '%s'\n", down);
    else
        buf_adds(b, "down_revision = None\n");
    buf_adds(b, "branch_labels = None\ndepends_on = None\n");
    return b->buf;
}

struct project {
    char *dir;
    struct alembic_ini ini;
    struct revmap map;
    struct ds_error err;
};

/* Write alembic.ini with these extra lines under [alembic]; load it and the revisions. */
static int project_load(struct project *p, const char *extra)
{
    struct buf ini = BUF_INIT, path = BUF_INIT;
    int rc;

    buf_addf(&ini, "[alembic]\nscript_location = %%(here)s/mig\n%s", extra ? extra : "");
    test_write_file(p->dir, "alembic.ini", ini.buf);
    buf_addf(&path, "%s/alembic.ini", p->dir);
    revmap_release(&p->map);
    alembic_ini_release(&p->ini);
    ds_error_release(&p->err);
    if (alembic_ini_load(&p->ini, path.buf, NULL, &p->err) < 0)
        fail_msg("%s", p->err.msg);
    rc = revmap_load(&p->map, &p->ini, &p->err);
    buf_release(&ini);
    buf_release(&path);
    return rc;
}

static void project_init(struct project *p)
{
    memset(p, 0, sizeof(*p));
    p->dir = test_mkdtemp();
    p->map = (struct revmap)REVMAP_INIT;
    strvec_init(&p->ini.version_locations);
}

static void project_release(struct project *p)
{
    revmap_release(&p->map);
    alembic_ini_release(&p->ini);
    ds_error_release(&p->err);
    test_rmtree(p->dir);
    free(p->dir);
}

/* The ids of the map, in load order, joined with ",". */
static char *map_ids(const struct revmap *map)
{
    struct buf b = BUF_INIT;

    for (size_t i = 0; i < map->n; i++)
        buf_addf(&b, "%s%s", i ? "," : "", map->revs[i]->id);
    return buf_detach(&b, NULL);
}

/* What os.listdir() gives for dir, as ids: the *.py names without ".py", skipping others. */
static char *listdir_ids(const char *dir, const char *const *skip)
{
    struct buf b = BUF_INIT;
    DIR *d = opendir(dir);
    struct dirent *e;

    assert_non_null(d);
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        bool skipped = false;

        for (const char *const *s = skip; *s; s++)
            skipped |= !strcmp(*s, e->d_name);
        if (skipped || n < 4 || strcmp(e->d_name + n - 3, ".py"))
            continue;
        buf_addf(&b, "%s%.*s", b.len ? "," : "", (int)(n - 3), e->d_name);
    }
    closedir(d);
    return buf_detach(&b, NULL);
}

static void test_revmap_load_directory_order(void **state)
{
    static const char *const skip[] = {"__init__.py", ".#r3.py", NULL};
    struct project p;
    struct buf b = BUF_INIT, dir = BUF_INIT, want = BUF_INIT;
    char *ids, *order;

    (void)state;
    project_init(&p);
    /* enough files that the directory's order is not the order of creation */
    test_write_file(p.dir, "mig/versions/r0.py", rev_text(&b, "r0", NULL));
    for (int i = 1; i < 12; i++) {
        struct buf name = BUF_INIT, id = BUF_INIT, down = BUF_INIT;

        buf_addf(&name, "mig/versions/r%d.py", i);
        buf_addf(&id, "r%d", i);
        buf_addf(&down, "r%d", i - 1);
        test_write_file(p.dir, name.buf, rev_text(&b, id.buf, down.buf));
        buf_release(&name);
        buf_release(&id);
        buf_release(&down);
    }
    /* what Alembic leaves alone */
    test_write_file(p.dir, "mig/versions/__init__.py", "");
    test_write_file(p.dir, "mig/versions/.#r3.py", "not python (");
    test_write_file(p.dir, "mig/versions/notes.txt", "revision = (");
    test_write_file(p.dir, "mig/versions/__pycache__/r1.cpython-311.pyc", "\x01\x02");
    test_write_file(p.dir, "mig/env.py", "import os\n");

    assert_int_equal(project_load(&p, NULL), 0);
    ids = map_ids(&p.map);
    buf_addf(&dir, "%s/mig/versions", p.dir);
    order = listdir_ids(dir.buf, skip);
    assert_string_equal(ids, order);
    assert_int_equal(p.map.n, 12);
    for (size_t i = 0; i < p.map.n; i++) {
        buf_reset(&want);
        buf_addf(&want, "%s/%s.py", dir.buf, p.map.revs[i]->id);
        assert_string_equal(p.map.revs[i]->path, want.buf);
        assert_string_equal(p.map.revs[i]->doc, p.map.revs[i]->id);
    }
    free(ids);
    free(order);

    /* a file that is not a revision script is an error, as in Alembic */
    test_write_file(p.dir, "mig/versions/helpers.py", "def helper():\n    pass\n");
    assert_int_equal(project_load(&p, NULL), DS_EINVAL);
    buf_reset(&want);
    buf_addf(&want, "%s/helpers.py: cannot determine the revision id: no 'revision' assignment",
             dir.buf);
    assert_string_equal(p.err.msg, want.buf);
    buf_reset(&want);
    buf_addf(&want, "%s/helpers.py", dir.buf);
    unlink(want.buf);

    /* ... unless its name is a legacy revision id */
    test_write_file(p.dir, "mig/versions/0a1b2c.py", "down_revision = 'r11'\n");
    assert_int_equal(project_load(&p, NULL), 0);
    assert_int_equal(p.map.n, 13);
    assert_non_null(revmap_get(&p.map, "0a1b2c"));

    /* errors in a file name it and the line */
    test_write_file(p.dir, "mig/versions/bad.py",
                    "revision = 'bad'\ndown_revision = 'r1'\ndepends_on = deps()\n");
    assert_int_equal(project_load(&p, NULL), DS_EINVAL);
    buf_reset(&want);
    buf_addf(&want, "%s/bad.py:3: cannot understand the value of 'depends_on'", dir.buf);
    assert_non_null(strstr(p.err.msg, want.buf));

    buf_release(&b);
    buf_release(&dir);
    buf_release(&want);
    project_release(&p);
}

static void test_revmap_load_locations(void **state)
{
    struct project p;
    struct buf b = BUF_INIT, want = BUF_INIT;

    (void)state;
    project_init(&p);

    /* the script location must exist */
    assert_int_equal(project_load(&p, NULL), DS_ENOTFOUND);
    buf_addf(&want, "%s/alembic.ini:2: script location '%s/mig' does not exist", p.dir, p.dir);
    assert_string_equal(p.err.msg, want.buf);

    /* the default versions directory must exist too */
    test_write_file(p.dir, "mig/env.py", "");
    assert_int_equal(project_load(&p, NULL), DS_ENOTFOUND);
    buf_reset(&want);
    buf_addf(&want, "cannot list the version location '%s/mig/versions'", p.dir);
    assert_non_null(strstr(p.err.msg, want.buf));

    /* named locations that do not exist are skipped; one named twice is read once */
    test_write_file(p.dir, "v1/a.py", rev_text(&b, "a", NULL));
    test_write_file(p.dir, "v2/b.py", rev_text(&b, "b", "a"));
    assert_int_equal(project_load(&p, "version_locations = %(here)s/v1 %(here)s/missing "
                                      "%(here)s/v2 %(here)s/v1/\n"),
                     0);
    assert_int_equal(p.map.n, 2);
    assert_string_equal(p.map.revs[0]->id, "a");
    buf_reset(&want);
    buf_addf(&want, "%s/v1/a.py", p.dir);
    assert_string_equal(p.map.revs[0]->path, want.buf);
    assert_string_equal(p.map.revs[1]->id, "b");

    /* an empty version location */
    test_write_file(p.dir, "mig/versions/README", "");
    assert_int_equal(project_load(&p, NULL), 0);
    assert_int_equal(p.map.n, 0);

    buf_release(&b);
    buf_release(&want);
    project_release(&p);
}

/* recursive_version_locations: sorted files, then sorted subdirectories, depth first. */
static void test_revmap_load_recursive(void **state)
{
    struct project p;
    struct buf b = BUF_INIT, want = BUF_INIT;
    char *ids;

    (void)state;
    project_init(&p);
    test_write_file(p.dir, "mig/versions/z_base.py", rev_text(&b, "base", NULL));
    test_write_file(p.dir, "mig/versions/a_two.py", rev_text(&b, "two", "base"));
    test_write_file(p.dir, "mig/versions/b/x.py", rev_text(&b, "b1", "one"));
    test_write_file(p.dir, "mig/versions/a/y.py", rev_text(&b, "a2", "a1"));
    test_write_file(p.dir, "mig/versions/a/x.py", rev_text(&b, "a1", "two"));
    test_write_file(p.dir, "mig/versions/a/deeper/q.py", rev_text(&b, "one", "a2"));
    test_write_file(p.dir, "mig/versions/a/__pycache__/skip.py", "revision = (");

    assert_int_equal(project_load(&p, NULL), 0);
    ids = map_ids(&p.map);
    /* without the option, only the top directory, in its own order */
    assert_true(!strcmp(ids, "two,base") || !strcmp(ids, "base,two"));
    free(ids);

    assert_int_equal(project_load(&p, "recursive_version_locations = true\n"), 0);
    ids = map_ids(&p.map);
    assert_string_equal(ids, "two,base,a1,a2,one,b1");
    buf_addf(&want, "%s/mig/versions/a/deeper/q.py", p.dir);
    {
        char *real = realpath(want.buf, NULL);

        assert_non_null(real);
        assert_string_equal(p.map.revs[4]->path, real);
        free(real);
    }
    free(ids);

    buf_release(&b);
    buf_release(&want);
    project_release(&p);
}

/*
 * Thousands of files are read by several threads; the map keeps the
 * directory's order and the error is the first in it, as one by one.
 */
static void test_revmap_load_many(void **state)
{
    static const char *const skip[] = {NULL};
    enum { N = 3000 };
    struct project p;
    struct buf b = BUF_INIT, name = BUF_INIT, id = BUF_INIT, down = BUF_INIT, dir = BUF_INIT;
    char *ids, *order, *first;
    size_t before = 0;

    (void)state;
    project_init(&p);
    for (int i = 0; i < N; i++) {
        buf_reset(&name);
        buf_reset(&id);
        buf_reset(&down);
        buf_addf(&name, "mig/versions/%04d_r.py", i);
        buf_addf(&id, "%04d_r", i);
        buf_addf(&down, "%04d_r", i - 1);
        test_write_file(p.dir, name.buf, rev_text(&b, id.buf, i ? down.buf : NULL));
    }
    assert_int_equal(project_load(&p, NULL), 0);
    assert_int_equal(p.map.n, N);
    ids = map_ids(&p.map);
    buf_addf(&dir, "%s/mig/versions", p.dir);
    order = listdir_ids(dir.buf, skip);
    assert_string_equal(ids, order);
    free(ids);

    /* break five files; the one listed first is reported */
    first = NULL;
    for (size_t i = 0; i < p.map.n && !first; i++) {
        unsigned long k = strtoul(p.map.revs[i]->id, NULL, 10);

        if (k >= 100 && (k - 100) % 700 == 0) {
            first = xstrdup(p.map.revs[i]->id);
            before = i;
        }
    }
    assert_non_null(first);
    for (int i = 100; i < N; i += 700) {
        buf_reset(&name);
        buf_addf(&name, "mig/versions/%04d_r.py", i);
        test_write_file(p.dir, name.buf, "revision = 'x'\ndown_revision = (\n");
    }
    for (int round = 0; round < 5; round++) {
        assert_int_equal(project_load(&p, NULL), DS_EINVAL);
        buf_reset(&name);
        buf_addf(&name, "%s/%s.py:", dir.buf, first);
        assert_non_null(p.err.msg);
        assert_true(!strncmp(p.err.msg, name.buf, name.len));
        /* what came before it is loaded, as one by one */
        assert_int_equal(p.map.n, before);
    }

    /* the same walking the tree: sorted, so the lowest name */
    assert_int_equal(project_load(&p, "recursive_version_locations = true\n"), DS_EINVAL);
    buf_reset(&name);
    buf_addf(&name, "/0100_r.py:2: ");
    assert_non_null(strstr(p.err.msg, name.buf));

    free(order);
    free(first);
    buf_release(&b);
    buf_release(&name);
    buf_release(&id);
    buf_release(&down);
    buf_release(&dir);
    project_release(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_revision_parse),
            cmocka_unit_test(test_revision_parse_bounds),
            cmocka_unit_test(test_revmap_load_directory_order),
            cmocka_unit_test(test_revmap_load_locations),
            cmocka_unit_test(test_revmap_load_recursive),
            cmocka_unit_test(test_revmap_load_many),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
