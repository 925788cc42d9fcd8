"""tobsctl's exit statuses: one per kind of failure, so scripts can tell them apart.

    0  success
    1  internal error in tobsd or tobsctl (see tobsd's log)
    2  usage error (unknown command or option)
    3  tobsd unreachable (not running, or no socket at that path)
    4  permission denied (the socket belongs to another user)
    5  not found (no such chat)
    6  invalid argument (a bad date, an ambiguous chat name, an invalid configuration file)
    7  version mismatch between tobsctl and tobsd
    8  refused: the request conflicts with the configuration file or tobsd's state
       (a chat declared in the file, already tracked, tobsd not logged in)
    9  doctor found a problem
"""
OK = 0
INTERNAL = 1
USAGE = 2
UNREACHABLE = 3
PERMISSION = 4
NOT_FOUND = 5
INVALID = 6
VERSION = 7
REFUSED = 8
DOCTOR = 9
