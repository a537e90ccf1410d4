from scheduler import create_app

app = create_app()
