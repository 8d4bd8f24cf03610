revision = 'x'
down_revision = None
s = """never
closed
