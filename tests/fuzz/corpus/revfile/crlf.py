"""crlf doc

more"""
revision = 'c1'
down_revision = None
