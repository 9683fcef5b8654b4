//! Names and places of the demo region.

use passregion_core::PartnerCategory;

pub(crate) const ESTABLISHMENTS: &[(&str, &str, &str, &str, &str)] = &[
    ("etab-ampere", "Lycée Ampère", "lycee", "Lyon", "69002"),
    (
        "etab-champollion",
        "Lycée Champollion",
        "lycee",
        "Grenoble",
        "38000",
    ),
    (
        "etab-pascal",
        "Lycée Blaise-Pascal",
        "lycee",
        "Clermont-Ferrand",
        "63000",
    ),
    (
        "etab-jverne",
        "Lycée professionnel Jules-Verne",
        "lycee",
        "Chambéry",
        "73000",
    ),
    (
        "etab-cfa-btp",
        "CFA du BTP de la Loire",
        "cfa",
        "Saint-Étienne",
        "42000",
    ),
    (
        "etab-ml-lyon",
        "Mission locale de Lyon",
        "mission_locale",
        "Lyon",
        "69003",
    ),
    (
        "etab-ime-tilleuls",
        "IME Les Tilleuls",
        "ime",
        "Annecy",
        "74000",
    ),
    (
        "etab-ifsi-valence",
        "Institut de formation en soins infirmiers",
        "formation_sanitaire_sociale",
        "Valence",
        "26000",
    ),
];

pub(crate) const CITIES: &[(&str, &str, f64, f64)] = &[
    ("Lyon", "69001", 45.7640, 4.8357),
    ("Grenoble", "38000", 45.1885, 5.7245),
    ("Clermont-Ferrand", "63000", 45.7772, 3.0870),
    ("Saint-Étienne", "42000", 45.4397, 4.3872),
    ("Annecy", "74000", 45.8992, 6.1294),
    ("Chambéry", "73000", 45.5646, 5.9178),
    ("Valence", "26000", 44.9334, 4.8924),
    ("Bourg-en-Bresse", "01000", 46.2052, 5.2255),
    ("Le Puy-en-Velay", "43000", 45.0434, 3.8858),
    ("Aurillac", "15000", 44.9264, 2.4397),
    ("Moulins", "03000", 46.5646, 3.3326),
    ("Privas", "07000", 44.7353, 4.5992),
];

pub(crate) const PARTNER_NAMES: &[(PartnerCategory, &[&str])] = &[
    (
        PartnerCategory::Librairie,
        &[
            "Librairie du Parc",
            "La Page Blanche",
            "Au Fil des Mots",
            "Librairie des Alpes",
            "Le Bouquiniste",
            "BD & Compagnie",
        ],
    ),
    (
        PartnerCategory::ClubSportif,
        &[
            "Union sportive de la Croix-Rousse",
            "Grenoble Escalade Club",
            "Handball Club Clermontois",
            "Aviron Annécien",
            "Judo Club Stéphanois",
        ],
    ),
    (
        PartnerCategory::SalleDeSpectacle,
        &[
            "Théâtre des Célestins",
            "La Comédie de Valence",
            "Le Fil",
            "Opéra-Théâtre",
            "Salle des Rancy",
        ],
    ),
    (
        PartnerCategory::Cinema,
        &[
            "Cinéma Le Zola",
            "Le Méliès",
            "Cinéma Le Rio",
            "Les 400 Coups",
        ],
    ),
    (
        PartnerCategory::Musee,
        &[
            "Musée des Confluences",
            "Musée de Grenoble",
            "Musée d'art Roger-Quilliot",
        ],
    ),
    (
        PartnerCategory::EquipementPro,
        &["Outillage Pro Rhône", "Tenues & Métiers", "Équip'Apprentis"],
    ),
    (
        PartnerCategory::ChassePeche,
        &[
            "Fédération de pêche du Rhône",
            "Fédération des chasseurs de l'Isère",
        ],
    ),
];

pub(crate) const FIRST_NAMES: &[&str] = &[
    "Léa", "Hugo", "Chloé", "Lucas", "Manon", "Nathan", "Inès", "Enzo", "Camille", "Louis", "Jade",
    "Yanis", "Sarah", "Théo", "Lina", "Mathis", "Emma", "Rayan", "Zoé", "Noah",
];

pub(crate) const LAST_NAMES: &[&str] = &[
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy",
    "Moreau", "Simon", "Laurent", "Lefebvre", "Michel", "Garcia", "Fournier", "Girard", "Bonnet",
];
