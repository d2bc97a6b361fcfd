"""Word lists the demo generator draws from. Plain tuples: nothing is computed at import time."""

from __future__ import annotations

# Data tables, kept compact on purpose.
# fmt: off
SWEDISH_FIRST = (
    "Anna", "Eva", "Maria", "Karin", "Sara", "Christina", "Lena", "Emma", "Kerstin", "Marie",
    "Malin", "Ingrid", "Jenny", "Hanna", "Linda", "Annika", "Susanne", "Elin", "Monica", "Birgitta",
    "Johanna", "Sofia", "Camilla", "Åsa", "Ulla", "Ebba", "Maja", "Linnéa", "Frida", "Ida",
    "Lars", "Mikael", "Anders", "Johan", "Erik", "Per", "Karl", "Peter", "Thomas", "Jan",
    "Daniel", "Fredrik", "Hans", "Andreas", "Stefan", "Mats", "Magnus", "Mattias", "Jonas", "Niklas",
    "Björn", "Göran", "Oskar", "Henrik", "Viktor", "Joakim", "Gustav", "Axel", "Måns", "Örjan",
)
SWEDISH_LAST = (
    "Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson", "Persson",
    "Svensson", "Gustafsson", "Pettersson", "Jonsson", "Jansson", "Hansson", "Bengtsson", "Jönsson",
    "Lindberg", "Jakobsson", "Magnusson", "Lindström", "Olofsson", "Lindqvist", "Lindgren", "Berg",
    "Axelsson", "Bergström", "Lundberg", "Lind", "Lundgren", "Lundqvist", "Mattsson", "Berglund",
    "Fredriksson", "Sandberg", "Henriksson", "Forsberg", "Sjöberg", "Wallin", "Engström", "Eklund",
    "Danielsson", "Lundin", "Håkansson", "Björk", "Bergman", "Gunnarsson", "Holm", "Wikström",
    "Samuelsson", "Isaksson", "Fransson", "Bergqvist", "Nyström", "Holmberg", "Arvidsson", "Löfgren",
    "Söderberg", "Nyberg", "Blomqvist", "Claesson", "Nordström", "Mårtensson", "Lundström", "Viklund",
    "Björklund", "Eliasson", "Pålsson", "Berggren", "Sandström", "Nordin", "Ström", "Åberg",
    "Ekström", "Holmgren", "Sundberg", "Hedlund", "Dahlberg", "Hellström", "Sjögren", "Öberg",
)
# Colleagues at Swedish companies come from everywhere; names with apostrophes, particles and
# non-Swedish letters make sure the email derivation copes with them.
INTERNATIONAL_FIRST = (
    "Mohammed", "Ali", "Fatima", "Aisha", "Omar", "Leila", "Reza", "Priya", "Rahul", "Ananya",
    "Wei", "Mei", "Hiroshi", "Yuki", "Min-jun", "Ji-woo", "Thanh", "Linh", "Olga", "Dmitri",
    "Katarzyna", "Piotr", "Agnieszka", "Tomasz", "Mehmet", "Elif", "Juan", "Lucía", "Giulia", "Marco",
    "Sophie", "Louis", "Jürgen", "Anke", "Siobhan", "Liam", "Emily", "James", "Mette", "Søren",
    "Ingvild", "Håvard", "Aino", "Mikko", "Sanna", "Jukka", "Zoran", "Ivana", "Nkechi", "Kwame",
)
INTERNATIONAL_LAST = (
    "Hussein", "Ahmed", "Hassan", "Haddad", "Hosseini", "Karimi", "Patel", "Sharma", "Singh", "Kumar",
    "Chen", "Wang", "Zhang", "Tanaka", "Sato", "Kim", "Park", "Nguyen", "Tran", "Ivanova",
    "Petrov", "Kowalski", "Nowak", "Wiśniewska", "Yılmaz", "Demir", "García", "Fernández", "Rossi", "Bianchi",
    "Dubois", "Lefèvre", "Müller", "Schmidt", "Weiß", "O'Brien", "Murphy", "Smith", "Jones", "Taylor",
    "Nielsen", "Jørgensen", "Hansen", "Bakken", "Virtanen", "Korhonen", "Mäkinen", "van der Berg",
    "de Vries", "Okafor",
)

TITLES_CUSTOMER = (
    "CTO", "CIO", "CEO", "CISO", "IT manager", "Head of IT", "Head of infrastructure",
    "System administrator", "System administrator", "System administrator", "System owner",
    "DevOps engineer", "DevOps engineer", "Site reliability engineer", "Cloud architect",
    "Solution architect", "Backend developer", "Developer", "Developer", "Tech lead",
    "Network engineer", "Security officer", "Data protection officer", "Procurement manager",
    "Purchaser", "CFO", "Finance controller", "Accounts payable", "Project manager",
    "Operations manager", "Product owner", "Platform engineer",
)
TITLES_PROSPECT = (
    "CTO", "CIO", "IT manager", "Head of IT", "System administrator", "DevOps engineer",
    "Cloud architect", "Developer", "Procurement manager", "Purchaser", "CEO", "Founder",
    "Consultant", "IT strategist", "Security architect", "Head of digitalisation",
)
TITLES_EMPLOYEE = (
    "Cloud engineer", "Cloud engineer", "Support engineer", "Support engineer", "System administrator",
    "Network engineer", "Software developer", "Software developer", "Account manager", "Sales manager",
    "Solution architect", "Security engineer", "Data centre technician", "Product manager",
    "Finance manager", "HR manager", "Marketing coordinator", "CTO", "CFO", "CEO", "Office manager",
)
TITLES_SUPPLIER = (
    "Account manager", "Key account manager", "Sales representative", "Support engineer",
    "Service manager", "Delivery manager", "Technical consultant", "Invoicing", "Contract manager",
    "Field technician",
)
TITLES_PARTNER = (
    "Partner manager", "Alliance manager", "Solution architect", "Consultant", "Senior consultant",
    "CEO", "Sales director", "Technical lead", "Business developer",
)

# Organisation names are prefix + suffix (+ a town when the combinations run out); no word contains a
# hyphen, so the hyphen-joined domain derived from a name can only come from that one name.
ORG_PREFIXES = (
    "Norrsken", "Fjällvind", "Skärgård", "Granit", "Kvarts", "Björkdal", "Ekbacken", "Solvik",
    "Havsörn", "Lodjur", "Älvdal", "Mälardal", "Bergslagen", "Kustlinje", "Vinterhamn", "Stjärnfall",
    "Blåklint", "Lingon", "Hjortron", "Tallbacka", "Rimfrost", "Midsommar", "Nordljus", "Sydkust",
    "Östersjö", "Västanvind", "Forsen", "Älgen", "Vargen", "Uttern", "Sälen", "Tranan",
    "Nordic", "Baltic", "Polar", "Aurora", "Boreal", "Arctic", "Scandi", "Vasa",
    "Kungsholmen", "Söder", "Vasastan", "Gamla", "Hammarby", "Kista", "Lindholmen", "Ideon",
    "Alfa", "Delta", "Sigma", "Omega", "Kappa", "Lambda", "Zeta", "Orion",
    "Atlas", "Vega", "Nova", "Lyra", "Pegasus", "Sirius", "Vindel", "Kalix",
    "Torne", "Ume", "Ljusnan", "Dalälven", "Klarälv", "Göta", "Vättern", "Vänern",
    "Siljan", "Storsjö", "Kebnekaise", "Sarek", "Padjelanta", "Abisko", "Hoburg", "Kullaberg",
    "Stenshuvud", "Söderåsen", "Tiveden", "Tyresta", "Garphyttan", "Färnebo", "Store", "Lilla",
    "Nya", "Första", "Svea", "Götha", "Norrlands", "Skåne", "Halland", "Roslagen",
)
ORG_SUFFIXES = (
    "Data", "IT", "Digital", "Systems", "Software", "Cloud", "Consulting", "Solutions",
    "Teknik", "Logistik", "Energi", "Bygg", "Fastigheter", "Media", "Health", "Finans",
    "Försäkring", "Analytics", "Labs", "Security", "Networks", "Hosting", "Retail", "Foods",
    "Industri", "Verkstad", "Transport", "Spel", "Education", "Robotics", "Biotech", "Design",
    "Advokatbyrå", "Revision", "Kommunikation", "Invest", "Mobility", "Automation", "Green", "Telecom",
)
TOWNS = (
    "Stockholm", "Göteborg", "Malmö", "Uppsala", "Linköping", "Örebro", "Västerås", "Helsingborg",
    "Norrköping", "Jönköping", "Umeå", "Lund", "Borås", "Sundsvall", "Gävle", "Eskilstuna",
    "Södertälje", "Karlstad", "Växjö", "Halmstad", "Luleå", "Trollhättan", "Östersund", "Borlänge",
    "Falun", "Kalmar", "Skövde", "Kristianstad", "Karlskrona", "Skellefteå", "Kiruna", "Visby",
)
# Foreign organisations have no Swedish organisation number; (legal form, top-level domain).
FOREIGN_FORMS = (("GmbH", "de"), ("Oy", "fi"), ("AS", "no"), ("ApS", "dk"), ("Ltd", "co.uk"), ("B.V.", "nl"))

# (name, month, day): the event is held on about that day every year; the year is added to the name.
EVENTS = (
    ("Cloud fair Stockholm", 3, 14),
    ("Internetdagarna", 11, 21),
    ("Sthlm Tech Fest", 5, 9),
    ("DevOps Days Göteborg", 10, 3),
    ("Security Summit Malmö", 9, 18),
    ("Data Center Nordic Stockholm", 4, 25),
    ("Kubernetes Community Day Stockholm", 6, 2),
    ("Almedalsveckan", 7, 1),
    ("Nordic Cloud Day Uppsala", 2, 8),
    ("Offentliga rummet", 5, 22),
    ("Öppen källkod-dagen Linköping", 8, 29),
    ("Open Source Summit Europe", 9, 12),
)
# Encounters that are not at a fair; the date is any day.
OTHER_SOURCES = (
    "Sales meeting",
    "Webinar: sovereign cloud for the public sector",
    "Referral from a customer",
    "Website contact form",
    "Partner introduction",
    "Breakfast seminar Stockholm",
)
CONTACT_SOURCES = ("CRM", "Customer agreement", "Customer portal", "Onboarding meeting", "Support ticket")
PERSONAL_DOMAINS = ("gmail.com", "outlook.com", "hotmail.se", "icloud.com", "telia.com", "proton.me")
# fmt: on
