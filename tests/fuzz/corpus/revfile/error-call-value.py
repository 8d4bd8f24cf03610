revision = 'x'
down_revision = get_down()
