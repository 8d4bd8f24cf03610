revision = 'x'
down_revision = None
if True:
    depends_on = 'y'
