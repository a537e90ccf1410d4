"""Invented Chinese names for demo people: common surnames and given names, combined."""

SURNAMES = (
    "王李张刘陈杨黄赵周吴徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁于蒋蔡"
    "余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯"
    "龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN_NAMES = [
    "建国",
    "秀英",
    "桂兰",
    "志强",
    "玉珍",
    "淑芬",
    "德明",
    "丽华",
    "国华",
    "春梅",
    "立新",
    "红梅",
    "海燕",
    "文斌",
    "凤英",
    "振华",
    "美玲",
    "永刚",
    "慧敏",
    "家豪",
    "晓东",
    "秀珍",
    "建军",
    "桂芳",
    "宏伟",
    "雪梅",
    "金凤",
    "亚男",
    "卫东",
    "翠兰",
    "晓燕",
    "明辉",
    "素梅",
    "国庆",
    "丽娟",
    "长青",
    "玉兰",
    "子涵",
    "浩然",
    "思远",
    "雅琴",
    "建平",
    "桂香",
    "新民",
    "凤兰",
    "瑞芳",
    "学文",
    "宝山",
    "月华",
    "德胜",
]


def demo_name(index: int) -> str:
    """A stable, varied name for the index-th demo person."""
    surname = SURNAMES[(index * 7) % len(SURNAMES)]
    given = GIVEN_NAMES[(index * 11 + index // len(GIVEN_NAMES)) % len(GIVEN_NAMES)]
    return surname + given


def demo_phone(index: int) -> str:
    """Numbers in the 170 range, which mobile carriers keep for resellers, not real people."""
    return f"1700{index:07d}"
