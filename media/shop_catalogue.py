"""What the demo shop sells: Senda, a small Spanish outdoor shop with three invented brands.

Plain data for media/shop_feed.py, which expands each product into its variants (one per
colour and size), draws their pictures and writes the Google product feed and products.json.
Titles, descriptions and colours are Spanish, as the shop's customers read them; the code
names (`kind`, colour keys) are English or ASCII so they can name files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Color = tuple[int, int, int]
Gender = Literal["m", "f", "mp", "fp"]
"""The grammatical gender and number of a product's noun; its colour adjective agrees."""


@dataclass(frozen=True)
class Brand:
    name: str
    gs1_prefix: str
    """A 7-digit company prefix in the Spanish GS1 range (84), invented: the GTINs have valid
    check digits but belong to no real company's products."""
    mpn_prefix: str
    accents: tuple[Color, Color]


@dataclass(frozen=True)
class Colour:
    key: str
    """ASCII, for file names."""
    code: str
    """Three letters, for SKUs."""
    masculine: str
    feminine: str
    rgb: Color
    plural: tuple[str, str] | None = None
    """(masculine, feminine) plural, for products with plural nouns ("Calcetines")."""

    def adjective(self, gender: Gender) -> str:
        """The colour as it follows the noun in a title: "roja", "azul marino", "negros"."""
        if gender in ("mp", "fp"):
            if self.plural is None:
                raise ValueError(f"{self.key} has no plural form")
            return self.plural[0] if gender == "mp" else self.plural[1]
        return self.masculine if gender == "m" else self.feminine

    def name(self, gender: Gender) -> str:
        """The feed's `g:color`: the adjective in the singular, capitalised ("Roja")."""
        singular = self.feminine if gender in ("f", "fp") else self.masculine
        return singular[:1].upper() + singular[1:]


def _colour(
    key: str,
    code: str,
    masculine: str,
    rgb: Color,
    feminine: str | None = None,
    plural: tuple[str, str] | None = None,
) -> Colour:
    return Colour(key, code, masculine, feminine or masculine, rgb, plural)


COLOURS = {
    colour.key: colour
    for colour in (
        _colour("rojo", "ROJ", "rojo", (200, 40, 45), "roja", ("rojos", "rojas")),
        _colour("azul-marino", "AZM", "azul marino", (28, 42, 88), plural=("azul marino",) * 2),
        _colour("amarillo-limon", "AML", "amarillo limón", (236, 222, 60)),
        _colour("negro", "NEG", "negro", (38, 38, 42), "negra", ("negros", "negras")),
        _colour("blanco", "BLA", "blanco", (244, 244, 240), "blanca", ("blancos", "blancas")),
        _colour("gris", "GRI", "gris", (132, 137, 142), plural=("grises", "grises")),
        _colour("verde-oliva", "VOL", "verde oliva", (108, 116, 58)),
        _colour("verde-bosque", "VBO", "verde bosque", (36, 92, 58)),
        _colour("naranja", "NAR", "naranja", (240, 120, 30)),
        _colour("azul-cielo", "AZC", "azul cielo", (112, 172, 226)),
        _colour("burdeos", "BUR", "burdeos", (112, 26, 48)),
        _colour("caqui", "CAQ", "caqui", (160, 146, 100)),
        _colour("turquesa", "TUR", "turquesa", (30, 170, 166)),
        _colour("rosa", "ROS", "rosa", (236, 122, 162)),
        _colour("morado", "MOR", "morado", (112, 62, 152), "morada"),
        _colour("marron", "MAR", "marrón", (112, 72, 42)),
        _colour("arena", "ARE", "arena", (214, 194, 154)),
        _colour("antracita", "ANT", "antracita", (62, 66, 72)),
        _colour("coral", "COR", "coral", (246, 112, 92)),
        _colour("terracota", "TER", "terracota", (192, 86, 62)),
        _colour("azul-electrico", "AZE", "azul eléctrico", (32, 92, 230)),
        _colour("verde-lima", "VLI", "verde lima", (162, 212, 52)),
        _colour("mostaza", "MOS", "mostaza", (206, 160, 42)),
    )
}

BRANDS = {
    brand.name: brand
    for brand in (
        Brand("Cumbrera", "8437012", "CB", ((250, 200, 40), (220, 50, 45))),
        Brand("Ribera", "8437045", "RB", ((30, 170, 166), (246, 112, 92))),
        Brand("Alcor", "8437078", "AL", ((240, 120, 30), (40, 110, 200))),
    )
}


@dataclass(frozen=True)
class Product:
    """A product as the shop thinks of it; its variants are every colour in every size.

    A product of one colour and no sizes is a single feed item without `g:item_group_id`.
    `size_prices` overrides `price` per size; `sale` applies to every variant; `sold_out`
    names variants by the end of their SKU ("AZM-43"); `preorder` makes every variant
    `preorder`; `video` is a file name under media/.
    """

    code: str
    title: str
    gender: Gender
    kind: str
    style: int
    brand: str
    product_type: str
    material: str
    price: str
    colours: tuple[str, ...]
    sizes: tuple[str, ...]
    description: str
    sale: str | None = None
    size_prices: dict[str, str] = field(default_factory=dict)
    sold_out: tuple[str, ...] = ()
    preorder: bool = False
    video: str | None = None


SHOES = "Calzado > Trail", "Calzado > Running", "Calzado > Montaña", "Calzado > Sandalias"
CLOTHES = (
    "Ropa > Camisetas",
    "Ropa > Chaquetas",
    "Ropa > Pantalones",
    "Ropa > Sudaderas",
    "Ropa > Forros polares",
)

# fmt: off
# One product per paragraph reads better than the formatter's one argument per line.
PRODUCTS = (
    Product("ZT", "Zapatilla de trail", "f", "shoe", 0, "Cumbrera", SHOES[0],
            "Malla técnica y caucho", "89.00", ("rojo", "azul-marino"), ("40", "41", "42", "43"),
            "Zapatilla ligera para senderos técnicos: suela de caucho con tacos de 4 mm, puntera "
            "reforzada y cordones reflectantes.", sold_out=("AZM-43",)),
    Product("ZTI", "Zapatilla de trail impermeable", "f", "shoe", 1, "Cumbrera", SHOES[0],
            "Malla con membrana impermeable y caucho", "119.00", ("negro", "verde-oliva"),
            ("41", "42", "43"),
            "La horma de nuestra zapatilla de trail con una membrana impermeable y transpirable "
            "para barro, nieve y lluvia.", sale="99.00"),
    Product("ZR", "Zapatilla de running", "f", "shoe", 2, "Ribera", SHOES[1],
            "Malla reciclada y espuma EVA", "74.95", ("blanco", "azul-electrico", "coral"),
            ("39", "41"),
            "Amortiguación reactiva para rodajes diarios sobre asfalto; 260 g en la talla 42."),
    Product("ZA", "Zapatilla de aproximación", "f", "shoe", 3, "Cumbrera", SHOES[2],
            "Ante y caucho", "109.00", ("amarillo-limon", "gris"), ("41", "42", "43"),
            "Goma adherente para trepar por roca y puntera de caucho. Llega en marzo: resérvala "
            "ya.", preorder=True),
    Product("BM", "Bota de montaña", "f", "boot", 0, "Cumbrera", SHOES[2],
            "Piel nobuk y caucho", "149.00", ("marron", "antracita"), ("41", "42", "43", "44"),
            "Bota de caña alta para travesías con mochila: piel nobuk, membrana impermeable y "
            "suela de tacos profundos.", sold_out=("ANT-44",)),
    Product("BS", "Bota de senderismo ligera", "f", "boot", 1, "Ribera", SHOES[2],
            "Ante y malla técnica", "99.00", ("gris", "caqui"), ("40", "42", "44"),
            "Caña media para rutas de un día: sujeta el tobillo sin el peso de una bota de "
            "montaña.", sale="79.00"),
    Product("SA", "Sandalia de trekking", "f", "sandal", 0, "Ribera", SHOES[3],
            "Poliéster y caucho", "49.90", ("negro", "turquesa", "arena"), ("39", "42"),
            "Tiras ajustables con cierre rápido y plantilla moldeada; se seca en minutos al "
            "cruzar un río."),
    Product("CT", "Camiseta técnica", "f", "shirt", 0, "Ribera", CLOTHES[0],
            "Poliéster reciclado", "24.95", ("rojo", "azul-marino", "amarillo-limon", "blanco"),
            ("S", "M"),
            "Tejido transpirable de secado rápido con costuras planas, para que nada roce en "
            "los kilómetros largos.", sold_out=("BLA-S",)),
    Product("CM", "Camiseta de lana merino", "f", "shirt", 1, "Cumbrera", CLOTHES[0],
            "Lana merino", "59.00", ("negro", "burdeos", "verde-bosque"), ("M", "L"),
            "Lana merino de 150 g/m² que regula la temperatura y no guarda olores tras varios "
            "días de ruta."),
    Product("CTM", "Camiseta técnica de manga larga", "f", "shirt", 2, "Ribera", CLOTHES[0],
            "Poliéster reciclado y elastano", "32.50", ("azul-cielo", "mostaza"),
            ("S", "M", "L"),
            "Manga larga con puños para el pulgar, para las mañanas frías; protección solar "
            "UPF 50.", sale="25.90"),
    Product("CL", "Camiseta de algodón orgánico", "f", "shirt", 3, "Ribera", CLOTHES[0],
            "Algodón orgánico", "19.90", ("blanco", "arena", "verde-oliva", "negro"), ("M", "L"),
            "Algodón orgánico peinado de 180 g/m², para el día a día y para el refugio."),
    Product("CI", "Chaqueta impermeable", "f", "jacket", 0, "Cumbrera", CLOTHES[1],
            "Nailon ripstop de tres capas", "189.00", ("rojo", "azul-marino", "amarillo-limon"),
            ("M", "L"),
            "Tres capas, costuras termoselladas y capucha compatible con casco; columna de agua "
            "de 20 000 mm.", sale="159.00", sold_out=("AML-L",)),
    Product("CV", "Cortavientos ultraligero", "m", "jacket", 1, "Ribera", CLOTHES[1],
            "Poliamida 20D", "64.90", ("naranja", "azul-electrico"), ("S", "M", "L", "XL"),
            "Pesa 95 g y se guarda en su propio bolsillo; repele el agua de un chubasco breve."),
    Product("FP", "Forro polar", "m", "jacket", 2, "Cumbrera", CLOTHES[4],
            "Poliéster reciclado", "45.00", ("gris", "verde-bosque", "burdeos"), ("M", "L"),
            "Forro polar de 200 g/m² con cremallera completa y bolsillos para las manos."),
    Product("PL", "Plumífero ligero", "m", "jacket", 3, "Cumbrera", CLOTHES[1],
            "Plumón de pato y nailon", "139.00", ("negro", "naranja"), ("S", "M", "L"),
            "Plumón certificado 90/10 de 650 cuin: abriga como una chaqueta gruesa y cabe en "
            "un puño."),
    Product("SU", "Sudadera con capucha", "f", "jacket", 4, "Ribera", CLOTHES[3],
            "Algodón orgánico y poliéster reciclado", "49.00", ("gris", "burdeos"),
            ("S", "M", "L"),
            "Felpa cepillada por dentro, capucha forrada y bolsillo canguro."),
    Product("CH", "Chaleco acolchado", "m", "jacket", 5, "Cumbrera", CLOTHES[1],
            "Nailon con relleno sintético", "79.00", ("negro", "azul-electrico"), ("M", "L"),
            "Relleno sintético que abriga aunque se moje; se guarda en su propio bolsillo."),
    Product("PT", "Pantalón de trekking", "m", "trousers", 0, "Cumbrera", CLOTHES[2],
            "Poliamida elástica", "69.00", ("caqui", "antracita"), ("38", "40", "42", "44"),
            "Tejido elástico en cuatro direcciones, rodillas preformadas y tratamiento "
            "repelente al agua.", sold_out=("CAQ-44",)),
    Product("PC", "Pantalón corto de running", "m", "trousers", 1, "Ribera", CLOTHES[2],
            "Poliéster reciclado", "29.95", ("negro", "azul-cielo"), ("S", "M", "L"),
            "Malla interior y bolsillo trasero con cremallera, para correr sin roces."),
    Product("ML", "Malla larga de running", "f", "trousers", 2, "Ribera", CLOTHES[2],
            "Poliamida y elastano", "39.90", ("negro", "morado"), ("XS", "S", "M", "L"),
            "Compresión suave, cintura alta y detalles reflectantes para salir de noche."),
    Product("PN", "Pantalón impermeable", "m", "trousers", 3, "Cumbrera", CLOTHES[2],
            "Nailon con membrana impermeable", "99.00", ("negro",), ("S", "M", "L", "XL"),
            "Cubrepantalón de 2,5 capas con cremalleras laterales para ponérselo sin quitarse "
            "las botas."),
    Product("GO", "Gorra de running", "f", "cap", 0, "Ribera", "Accesorios > Gorras",
            "Poliéster", "19.90", ("blanco", "negro", "amarillo-limon", "rosa"), (),
            "Visera flexible, banda antisudor y tejido perforado; se lava a mano."),
    Product("GR", "Gorro de lana", "m", "beanie", 0, "Cumbrera", "Accesorios > Gorros",
            "Lana merino y acrílico", "22.00", ("gris", "burdeos", "mostaza", "turquesa"), (),
            "Punto doble con pompón; pica menos que la lana corriente.", sale="17.60"),
    Product("BD", "Braga de cuello", "f", "neck-gaiter", 0, "Alcor", "Accesorios > Cuello",
            "Poliéster reciclado", "12.00", ("azul-cielo", "coral", "verde-lima"), (),
            "Braga, gorro o cinta para el pelo: protege del sol y del viento."),
    Product("CA", "Calcetines de trail", "mp", "socks", 0, "Alcor", "Accesorios > Calcetines",
            "Lana merino, poliamida y elastano", "14.90", ("negro", "gris"),
            ("35-38", "39-42", "43-46"),
            "Lana merino con refuerzo en talón y puntera y una zona elástica en el empeine."),
    Product("CC", "Calcetines de compresión", "mp", "socks", 1, "Ribera",
            "Accesorios > Calcetines", "Poliamida y elastano", "24.90", ("negro", "blanco"),
            ("S", "M", "L"),
            "Compresión graduada para recuperar las piernas después de una carrera larga."),
    Product("GU", "Guantes de invierno", "mp", "gloves", 0, "Cumbrera", "Accesorios > Guantes",
            "Softshell y forro polar", "29.00", ("negro", "gris"), ("S", "M", "L"),
            "Softshell cortavientos con forro polar y yemas que funcionan con pantallas "
            "táctiles."),
    Product("GS", "Gafas de sol deportivas", "fp", "glasses", 0, "Alcor", "Accesorios > Gafas",
            "Policarbonato", "59.00", ("negro", "blanco", "rojo"), (),
            "Lentes polarizadas de categoría 3 y patillas de goma que no resbalan con el sudor.",
            sale="44.00"),
    Product("MO", "Mochila de senderismo", "f", "backpack", 0, "Alcor", "Accesorios > Mochilas",
            "Nailon ripstop 210D", "79.00", ("verde-bosque", "azul-marino", "naranja"),
            ("20 l", "30 l"),
            "Espalda ventilada, funda para la lluvia y bolsillos laterales para las botellas.",
            size_prices={"30 l": "99.00"}, sold_out=("NAR-20L",)),
    Product("MC", "Mochila de trail running", "f", "backpack", 1, "Cumbrera",
            "Accesorios > Mochilas", "Malla elástica y nailon", "89.00",
            ("negro", "amarillo-limon"), ("S-M", "L-XL"),
            "Chaleco de hidratación de 8 l con dos bidones blandos delante y un bolsillo para "
            "el móvil."),
    Product("RI", "Riñonera de running", "f", "waist-bag", 0, "Ribera",
            "Accesorios > Riñoneras", "Elastano y neopreno", "19.95",
            ("negro", "turquesa", "coral"), (),
            "Cinturón elástico que no bota, con sitio para el móvil, las llaves y un gel."),
    Product("BO", "Botella de acero", "f", "bottle", 0, "Alcor", "Accesorios > Hidratación",
            "Acero inoxidable", "24.90", ("blanco", "verde-oliva", "azul-cielo"),
            ("500 ml", "750 ml"),
            "Doble pared al vacío: el agua sigue fría 24 horas y el café caliente 12.",
            size_prices={"750 ml": "29.90"}),
    Product("BB", "Bidón plegable", "m", "bottle", 1, "Ribera", "Accesorios > Hidratación",
            "TPU sin BPA", "12.90", ("gris", "naranja"), (),
            "Bidón blando de 500 ml con válvula de mordida; vacío ocupa lo que un pañuelo."),
    Product("FR", "Linterna frontal", "f", "headlamp", 0, "Alcor", "Accesorios > Iluminación",
            "Policarbonato y cinta elástica", "34.90", ("naranja", "negro"), (),
            "400 lúmenes, luz roja para no deslumbrar y batería recargable por USB-C."),
    Product("BT", "Bastones de trekking", "mp", "poles", 0, "Cumbrera", "Accesorios > Bastones",
            "Aluminio y corcho", "79.00", ("negro", "rojo"), ("110-130 cm", "120-140 cm"),
            "Aluminio 7075 plegable en tres tramos, puños de corcho y punteras de carburo."),
    Product("ES", "Esterilla autohinchable", "f", "sleeping-mat", 0, "Alcor",
            "Acampada > Esterillas", "Espuma de celda abierta y poliéster", "69.00",
            ("verde-oliva", "naranja"), (),
            "3,8 cm de grosor y aislamiento R 3,5; se hincha sola en un par de minutos."),
    Product("SD", "Saco de dormir", "m", "sleeping-bag", 0, "Cumbrera",
            "Acampada > Sacos de dormir", "Poliéster con relleno sintético", "119.00",
            ("azul-marino", "rojo"), ("175 cm", "190 cm"),
            "Saco momia de relleno sintético: temperatura de confort 5 °C, límite −1 °C.",
            size_prices={"190 cm": "129.00"}),
    Product("TI", "Tienda de campaña ligera", "f", "tent", 0, "Cumbrera", "Acampada > Tiendas",
            "Nailon siliconado y aluminio", "249.00", ("verde-oliva", "naranja"), (),
            "Para dos personas y 1,9 kg, con dos ábsides; se monta en cinco minutos.",
            sale="219.00"),
    Product("TC", "Taza esmaltada de camping", "f", "mug", 1, "Alcor",
            "Acampada > Cocina", "Acero esmaltado", "12.50",
            ("blanco", "azul-marino", "verde-bosque"), (),
            "Acero esmaltado de 400 ml que va del hornillo a la mesa."),
    Product("TZ", "Taza de gres", "f", "mug", 0, "Alcor", "Hogar > Tazas", "Gres esmaltado",
            "18.50", ("terracota",), (),
            "Taza de 350 ml esmaltada a mano; apta para lavavajillas y microondas.",
            video="mug-turntable.webm"),
    Product("BQ", "Botiquín de montaña", "m", "first-aid", 0, "Alcor",
            "Accesorios > Seguridad", "Poliéster 600D", "27.50", ("rojo",), (),
            "42 piezas con manta térmica, vendas y pinzas; cabe en la tapa de la mochila."),
    Product("BR", "Brújula de orientación", "f", "compass", 0, "Alcor",
            "Accesorios > Orientación", "Acrílico", "24.00", ("negro",), (),
            "Brújula de placa con escala 1:25 000, lupa y ajuste de la declinación.",
            sold_out=("NEG",)),
)
# fmt: on
