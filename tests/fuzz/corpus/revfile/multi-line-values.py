# -*- coding: utf-8 -*-
#!/usr/bin/env python
r'''Raw \n doc
with "quotes"'''
import os
down_revision = [
    "a1",   # first
    'a2',
]
revision = ("r" "ev"
    'x')
branch_labels = 'lbl'
depends_on = (
    'd1',
    "d2",
)
if False:
    pass
class X:
    revision = 'no'
@staticmethod
def f(revision='no'):
    return revision
