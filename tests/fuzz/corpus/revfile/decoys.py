'''Doc with """ inside
and 'single' quotes'''
x = 'it\'s'; y = "say \"hi\""
z = """a "" b"""
# revision = 'comment'
revision = \
    'tr1'
down_revision: "Annotated[str, dict(default=1)]" = 'tr0'
branch_labels: str
branch_labels = ['b1', "b2",]
d = {'revision': 1, "down_revision": [1, 2]}
print(revision)
def g(
    a=1,
    revision='no',
):
    """revision = 'no'"""
    if a:
	    return 1
    s = '''
revision = 'no2'
'''
    return s
if d:
    def h():
        revision = 'no3'
    class K:
        depends_on = 'no4'
    x = 1
else:
    y = 2
for i in range(2): pass
async def aa():
    down_revision = 'no5'
@staticmethod
def deco(): pass
lam = lambda revision='q': revision
