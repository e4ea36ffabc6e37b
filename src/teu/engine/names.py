"""Container IDs (64 hex digits) and docker-style random names (adjective_scientist)."""

from __future__ import annotations

import os

ADJECTIVES = (
    "admiring", "adoring", "affectionate", "agitated", "amazing", "angry", "awesome",
    "blissful", "bold", "boring", "brave", "busy", "charming", "clever", "compassionate",
    "competent", "condescending", "confident", "cool", "cranky", "crazy", "dazzling",
    "determined", "distracted", "dreamy", "eager", "ecstatic", "elastic", "elated", "elegant",
    "eloquent", "epic", "exciting", "fervent", "festive", "flamboyant", "focused", "friendly",
    "frosty", "funny", "gallant", "gifted", "goofy", "gracious", "great", "happy",
    "hardcore", "heuristic", "hopeful", "hungry", "infallible", "inspiring", "intelligent",
    "interesting", "jolly", "jovial", "keen", "kind", "laughing", "loving", "lucid",
    "magical", "modest", "musing", "mystifying", "naughty", "nervous", "nice", "nifty",
    "nostalgic", "objective", "optimistic", "peaceful", "pedantic", "pensive", "practical",
    "priceless", "quirky", "quizzical", "recursing", "relaxed", "reverent", "romantic",
    "sad", "serene", "sharp", "silly", "sleepy", "stoic", "strange", "stupefied",
    "suspicious", "sweet", "tender", "thirsty", "trusting", "unruffled", "upbeat",
    "vibrant", "vigilant", "vigorous", "wizardly", "wonderful", "xenodochial", "youthful",
    "zealous", "zen",
)
NAMES = (
    "agnesi", "albattani", "allen", "almeida", "archimedes", "ardinghelli", "babbage",
    "banach", "bardeen", "bartik", "bassi", "bell", "benz", "bhabha", "black", "blackwell",
    "bohr", "booth", "borg", "bose", "bouman", "brahmagupta", "brattain", "brown", "burnell",
    "cannon", "carson", "cartwright", "chandrasekhar", "chatelet", "chebyshev", "cohen",
    "colden", "cori", "cray", "curie", "darwin", "davinci", "dijkstra", "dirac", "driscoll",
    "dubinsky", "easley", "einstein", "elion", "engelbart", "euclid", "euler", "fermat",
    "fermi", "feynman", "franklin", "gagarin", "galileo", "gates", "gauss", "germain",
    "goldberg", "goldwasser", "golick", "goodall", "hamilton", "hawking", "heisenberg",
    "hellman", "hermann", "hertz", "hodgkin", "hofstadter", "hoover", "hopper", "hugle",
    "hypatia", "jackson", "jemison", "jennings", "jepsen", "johnson", "joliot", "jones",
    "kalam", "kapitsa", "kare", "keldysh", "keller", "kepler", "khorana", "kilby",
    "kirch", "knuth", "kowalevski", "lalande", "lamarr", "lamport", "leakey", "leavitt",
    "lederberg", "lehmann", "lewin", "lichterman", "liskov", "lovelace", "lumiere",
    "mahavira", "margulis", "matsumoto", "maxwell", "mayer", "mccarthy", "mcclintock",
    "meitner", "mendel", "mendeleev", "merkle", "minsky", "mirzakhani", "moore", "morse",
    "napier", "nash", "neumann", "newton", "nightingale", "nobel", "noether", "northcutt",
    "noyce", "panini", "pare", "pascal", "pasteur", "payne", "perlman", "pike", "poincare",
    "poitras", "ptolemy", "raman", "ramanujan", "ride", "ritchie", "robinson", "roentgen",
    "rosalind", "rubin", "saha", "sammet", "shamir", "shannon", "shaw", "shirley",
    "shockley", "sinoussi", "snyder", "spence", "stonebraker", "sutherland", "swanson",
    "swartz", "swirles", "taussig", "tesla", "thompson", "torvalds", "turing", "varahamihira",
    "vaughan", "villani", "visvesvaraya", "volhard", "wescoff", "wilbur", "wiles",
    "williams", "wilson", "wing", "wozniak", "wright", "wu", "yalow", "yonath", "zhukovsky",
)


def new_id() -> str:
    return os.urandom(32).hex()


def random_name(taken: set[str] | None = None) -> str:
    taken = taken or set()
    for attempt in range(100):
        a = ADJECTIVES[int.from_bytes(os.urandom(2), "big") % len(ADJECTIVES)]
        b = NAMES[int.from_bytes(os.urandom(2), "big") % len(NAMES)]
        name = f"{a}_{b}" + (str(attempt) if attempt > 10 else "")
        if name not in taken:
            return name
    return "teu_" + os.urandom(6).hex()
