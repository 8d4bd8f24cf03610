"""Esc\taped \\ \' \" \x41\u00e9\N{BULLET} \q
line2\
joined

second para"""
revision = u'e1'
down_revision = ()
