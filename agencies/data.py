"""Phú Yên's bodies as of 2021–2024 (../shared/DOMAIN.md).

(code, full name, short name, document abbreviation, kind, level, statistics code)
"""

PROVINCE_AGENCIES = [
    ("VPUBND", "Văn phòng UBND tỉnh", "VP UBND tỉnh", "VPUBND", "office", "province", ""),
    ("SNV", "Sở Nội vụ", "Nội vụ", "SNV", "lead", "province", ""),
    ("STP", "Sở Tư pháp", "Tư pháp", "STP", "department", "province", ""),
    ("SKHDT", "Sở Kế hoạch và Đầu tư", "Kế hoạch và Đầu tư", "SKHĐT", "department", "province", ""),
    ("STC", "Sở Tài chính", "Tài chính", "STC", "department", "province", ""),
    ("SCT", "Sở Công Thương", "Công Thương", "SCT", "department", "province", ""),
    (
        "SNNPTNT",
        "Sở Nông nghiệp và Phát triển nông thôn",
        "Nông nghiệp và PTNT",
        "SNNPTNT",
        "department",
        "province",
        "",
    ),
    ("SGTVT", "Sở Giao thông vận tải", "Giao thông vận tải", "SGTVT", "department", "province", ""),
    ("SXD", "Sở Xây dựng", "Xây dựng", "SXD", "department", "province", ""),
    (
        "STNMT",
        "Sở Tài nguyên và Môi trường",
        "Tài nguyên và Môi trường",
        "STNMT",
        "department",
        "province",
        "",
    ),
    (
        "STTTT",
        "Sở Thông tin và Truyền thông",
        "Thông tin và Truyền thông",
        "STTTT",
        "department",
        "province",
        "",
    ),
    (
        "SLDTBXH",
        "Sở Lao động - Thương binh và Xã hội",
        "Lao động - TB và XH",
        "SLĐTBXH",
        "department",
        "province",
        "",
    ),
    (
        "SVHTTDL",
        "Sở Văn hóa, Thể thao và Du lịch",
        "Văn hóa, Thể thao và Du lịch",
        "SVHTTDL",
        "department",
        "province",
        "",
    ),
    ("SKHCN", "Sở Khoa học và Công nghệ", "Khoa học và Công nghệ", "SKHCN", "department", "province", ""),
    ("SGDDT", "Sở Giáo dục và Đào tạo", "Giáo dục và Đào tạo", "SGDĐT", "department", "province", ""),
    ("SYT", "Sở Y tế", "Y tế", "SYT", "department", "province", ""),
    ("TTT", "Thanh tra tỉnh", "Thanh tra tỉnh", "TTr", "department", "province", ""),
    ("BDT", "Ban Dân tộc", "Ban Dân tộc", "BDT", "department", "province", ""),
    ("SNGV", "Sở Ngoại vụ", "Ngoại vụ", "SNgV", "department", "province", ""),
    ("BQLKKT", "Ban Quản lý Khu kinh tế", "BQL Khu kinh tế", "BQLKKT", "department", "province", ""),
    (
        "BQLNNCNC",
        "Ban Quản lý Khu Nông nghiệp ứng dụng công nghệ cao",
        "BQL Khu NN ứng dụng CNC",
        "BQLNNCNC",
        "department",
        "province",
        "",
    ),
]

DISTRICT_AGENCIES = [
    ("TUYHOA", "Ủy ban nhân dân thành phố Tuy Hòa", "Tuy Hòa", "UBND", "district", "district", "555"),
    ("SONGCAU", "Ủy ban nhân dân thị xã Sông Cầu", "Sông Cầu", "UBND", "district", "district", "557"),
    ("DONGXUAN", "Ủy ban nhân dân huyện Đồng Xuân", "Đồng Xuân", "UBND", "district", "district", "558"),
    ("TUYAN", "Ủy ban nhân dân huyện Tuy An", "Tuy An", "UBND", "district", "district", "559"),
    ("SONHOA", "Ủy ban nhân dân huyện Sơn Hòa", "Sơn Hòa", "UBND", "district", "district", "560"),
    ("SONGHINH", "Ủy ban nhân dân huyện Sông Hinh", "Sông Hinh", "UBND", "district", "district", "561"),
    ("TAYHOA", "Ủy ban nhân dân huyện Tây Hòa", "Tây Hòa", "UBND", "district", "district", "562"),
    ("PHUHOA", "Ủy ban nhân dân huyện Phú Hòa", "Phú Hòa", "UBND", "district", "district", "563"),
    ("DONGHOA", "Ủy ban nhân dân thị xã Đông Hòa", "Đông Hòa", "UBND", "district", "district", "564"),
]

ALL_AGENCIES = PROVINCE_AGENCIES + DISTRICT_AGENCIES
