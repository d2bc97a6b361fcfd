"""Casework on the register: the People list with each person's next due date, a person's page with what
surrounds them (holds, requests, mailings, their audit trail), staff corrections, erasing now, and the people
of an organisation with their due dates.

Above the register and the areas it is judged and acted on by (retention, requests, connected systems,
mailings): these read or drive them, so they cannot live in the register, which those areas build on.
"""
